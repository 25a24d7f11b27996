#include "scanners/lang/java_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

const package* find(const inventory& inv, std::string_view name) {
  for (const auto& p : inv.packages)
    if (p.name == name)
      return &p;
  return nullptr;
}

TEST(java_cataloger, wants) {
  java_cataloger c;
  EXPECT_TRUE(c.wants("usr/share/java/commons-cli.jar"));
  EXPECT_TRUE(c.wants("opt/app/app.war"));
  EXPECT_TRUE(c.wants("opt/app/app.ear"));
  EXPECT_FALSE(c.wants("opt/app/app.jar.sha1"));
  EXPECT_FALSE(c.wants("opt/app/README"));
}

TEST(java_cataloger, pom_properties) {
  java_cataloger c;
  inventory inv;
  c.parse("usr/share/java/commons-cli.jar", testdata::read("java/commons-cli-1.5.0.jar"), "l",
          os_info{}, inv);
  EXPECT_TRUE(inv.notes.empty());
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].ecosystem, "Maven");
  EXPECT_EQ(inv.packages[0].name, "commons-cli:commons-cli");
  EXPECT_EQ(inv.packages[0].version, "1.5.0");
  EXPECT_EQ(inv.packages[0].file, "usr/share/java/commons-cli.jar");
  EXPECT_EQ(inv.packages[0].layer, "l");
}

TEST(java_cataloger, manifest_bundle_fields) {
  java_cataloger c;
  inventory inv;
  c.parse("a/javax.inject.jar", testdata::read("java/javax.inject-1.0.0.jar"), "l", os_info{},
          inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].name, "javax.inject");
  EXPECT_EQ(inv.packages[0].version, "1.0.0");
}

TEST(java_cataloger, manifest_without_version_gives_a_note) {
  java_cataloger c;
  inventory inv;
  c.parse("a/aopalliance.jar", testdata::read("java/aopalliance.jar"), "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_EQ(inv.notes[0], "java: a/aopalliance.jar: no pom.properties and no name and version in "
                          "its manifest; not listed");
}

TEST(java_cataloger, nested_war_in_ear) {
  java_cataloger c;
  inventory inv;
  c.parse("srv/app.ear", testdata::read("java/app.ear"), "l", os_info{}, inv);
  EXPECT_TRUE(inv.notes.empty());
  ASSERT_EQ(inv.packages.size(), 2u);
  auto* cli = find(inv, "commons-cli:commons-cli");
  ASSERT_NE(cli, nullptr);
  EXPECT_EQ(cli->file, "srv/app.ear!/app.war!/WEB-INF/lib/commons-cli-1.5.0.jar");
  ASSERT_NE(find(inv, "javax.inject"), nullptr);
}

TEST(java_cataloger, bad_archives_become_notes) {
  java_cataloger c;
  inventory inv;
  c.parse("x.jar", "PK\3\4 not really a zip", "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("x.jar"), std::string::npos);
  auto war = testdata::read("java/app.war");
  for (size_t n = 0; n < war.size(); n += war.size() / 40) {
    inventory part;
    c.parse("x.war", std::string_view(war).substr(0, n), "l", os_info{}, part);
    EXPECT_LE(part.packages.size(), 2u);
  }
}

} // namespace
} // namespace regscan
