#include "scanners/lang/dotnet_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

TEST(dotnet_cataloger, wants) {
  dotnet_cataloger c;
  EXPECT_TRUE(c.wants("app/app.deps.json"));
  EXPECT_FALSE(c.wants("app/.deps.json"));
  EXPECT_FALSE(c.wants("app/app.runtimeconfig.json"));
}

TEST(dotnet_cataloger, package_libraries_only) {
  dotnet_cataloger c;
  inventory inv;
  c.parse("app/app.deps.json", testdata::read("dotnet/app.deps.json"), "l", os_info{}, inv);
  ASSERT_FALSE(inv.notes.empty()); // the project entry, named as the application's own code
  for (const auto& n : inv.notes)
    EXPECT_NE(n.find("the application's own code, not listed"), std::string::npos) << n;
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].ecosystem, "NuGet");
  EXPECT_EQ(inv.packages[0].name, "Newtonsoft.Json");
  EXPECT_EQ(inv.packages[0].version, "13.0.1");
  EXPECT_EQ(inv.packages[1].name, "Serilog");
  EXPECT_EQ(inv.packages[1].version, "3.1.1");
  EXPECT_EQ(inv.packages[1].file, "app/app.deps.json");
}

TEST(dotnet_cataloger, malformed_is_a_note) {
  dotnet_cataloger c;
  for (std::string_view bad : {"{", "{\"libraries\": []}",
                               "{\"libraries\": {\"NoVersion\": {\"type\": \"package\"}}}"}) {
    inventory inv;
    c.parse("app/app.deps.json", bad, "l", os_info{}, inv);
    EXPECT_TRUE(inv.packages.empty());
    ASSERT_EQ(inv.notes.size(), 1u) << bad;
    EXPECT_NE(inv.notes[0].find("app/app.deps.json"), std::string::npos);
  }
}

} // namespace
} // namespace regscan
