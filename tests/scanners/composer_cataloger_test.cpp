#include "scanners/lang/composer_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

TEST(composer_cataloger, wants) {
  composer_cataloger c;
  EXPECT_TRUE(c.wants("vendor/composer/installed.json"));
  EXPECT_TRUE(c.wants("var/www/html/vendor/composer/installed.json"));
  EXPECT_FALSE(c.wants("var/www/html/composer.json"));
  EXPECT_FALSE(c.wants("var/www/html/vendor/composer/installed.php"));
}

TEST(composer_cataloger, composer2_layout) {
  composer_cataloger c;
  inventory inv;
  c.parse("app/vendor/composer/installed.json", testdata::read("composer/installed-v2.json"), "l",
          os_info{}, inv);
  EXPECT_TRUE(inv.notes.empty());
  ASSERT_EQ(inv.packages.size(), 4u);
  EXPECT_EQ(inv.packages[0].ecosystem, "Packagist");
  EXPECT_EQ(inv.packages[0].name, "monolog/monolog");
  EXPECT_EQ(inv.packages[0].version, "3.5.0");
  EXPECT_EQ(inv.packages[0].file, "app/vendor/composer/installed.json");
  EXPECT_EQ(inv.packages[2].name, "symfony/http-foundation");
  EXPECT_EQ(inv.packages[2].version, "6.4.0"); // "v6.4.0" as Packagist advisories spell it
}

TEST(composer_cataloger, composer1_layout) {
  composer_cataloger c;
  inventory inv;
  c.parse("vendor/composer/installed.json", testdata::read("composer/installed-v1.json"), "l",
          os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[1].name, "guzzlehttp/psr7");
  EXPECT_EQ(inv.packages[1].version, "1.6.1");
}

TEST(composer_cataloger, malformed_json_is_a_note) {
  composer_cataloger c;
  for (std::string_view bad : {"{\"packages\": [", "{\"other\": 1}", "[{\"name\": 3}]"}) {
    inventory inv;
    c.parse("vendor/composer/installed.json", bad, "l", os_info{}, inv);
    EXPECT_TRUE(inv.packages.empty());
    ASSERT_EQ(inv.notes.size(), 1u) << bad;
    EXPECT_NE(inv.notes[0].find("vendor/composer/installed.json"), std::string::npos);
  }
}

} // namespace
} // namespace regscan
