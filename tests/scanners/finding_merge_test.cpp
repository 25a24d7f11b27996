#include "scanners/match/finding_merge.hpp"

#include <gtest/gtest.h>

namespace regscan {
namespace {

finding make(std::string id, std::vector<std::string> aliases, std::string fixed,
             std::string severity = "Medium", std::string package = "zope",
             std::string version = "5.1") {
  finding f;
  f.id = std::move(id);
  f.aliases = std::move(aliases);
  f.package = package;
  f.source_package = package;
  f.installed_version = std::move(version);
  f.fixed_version = std::move(fixed);
  f.severity = std::move(severity);
  return f;
}

// PyPI's real pair: PYSEC-2021-104 and PYSEC-2021-88 both carry
// GHSA-5pr9-v234-jw36 for zope; installed 5.1 is fixed by 5.2.1 and 5.2.
TEST(finding_merge, records_sharing_an_alias_are_one_finding_with_the_highest_fix) {
  std::vector<finding> fs{
    make("PYSEC-2021-104",
         {"CVE-2021-32674", "GHSA-rpcg-f9q6-2mq6", "GHSA-5pr9-v234-jw36", "GHSA-5vq5-pg3r-9ph3"},
         "5.2.1", "Medium"),
    make("PYSEC-2021-88", {"CVE-2021-32633", "GHSA-5pr9-v234-jw36", "GHSA-962m-m8jw-8wrr"},
         "5.2", "High"),
    make("PYSEC-2020-1", {"CVE-2020-1"}, "5.3")};
  merge_aliases("PyPI", fs);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].id, "PYSEC-2021-104");
  EXPECT_EQ(fs[0].fixed_version, "5.2.1"); // string order agrees here; PyPI's own when wired
  EXPECT_EQ(fs[0].severity, "High");       // the worst of the group
  EXPECT_EQ(fs[0].aliases,
            (std::vector<std::string>{"CVE-2021-32633", "CVE-2021-32674", "GHSA-5pr9-v234-jw36",
                                      "GHSA-5vq5-pg3r-9ph3", "GHSA-962m-m8jw-8wrr",
                                      "GHSA-rpcg-f9q6-2mq6", "PYSEC-2021-88"}));
  EXPECT_EQ(fs[1].id, "PYSEC-2020-1");
  EXPECT_EQ(fs[1].aliases, std::vector<std::string>{"CVE-2020-1"});
}

TEST(finding_merge, debian_fixes_are_ordered_by_dpkg_and_no_fix_wins) {
  // 1.10 > 1.9 for dpkg, not for strcmp.
  std::vector<finding> fs{make("DEBIAN-a", {"CVE-2024-1"}, "1.9-1", "Low", "openssl", "1.0-1"),
                          make("DEBIAN-b", {"CVE-2024-1"}, "1.10-1", "Low", "openssl", "1.0-1")};
  merge_aliases("Debian:12", fs);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].id, "DEBIAN-b");
  EXPECT_EQ(fs[0].aliases, (std::vector<std::string>{"CVE-2024-1", "DEBIAN-a"}));

  std::vector<finding> open{make("CVE-2024-2", {}, "", "Low", "curl", "7.0"),
                            make("DEBIAN-c", {"CVE-2024-2"}, "7.1", "Low", "curl", "7.0")};
  merge_aliases("Debian:12", open);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, "CVE-2024-2");
  EXPECT_TRUE(open[0].fixed_version.empty());
}

TEST(finding_merge, other_packages_and_versions_stay_apart) {
  std::vector<finding> fs{make("A", {"CVE-1"}, "2", "Low", "libssl3", "1"),
                          make("B", {"CVE-1"}, "2", "Low", "openssl", "1"),
                          make("C", {"CVE-1"}, "2", "Low", "openssl", "0.9")};
  merge_aliases("Debian:12", fs);
  EXPECT_EQ(fs.size(), 3u);
}

TEST(finding_merge, an_inventory_merges_each_ecosystem_apart) {
  auto npm = [](std::string id, std::string layer) {
    auto f = make(std::move(id), {"CVE-1"}, "4.17.5", "High", "lodash", "4.17.4");
    f.ecosystem = "npm";
    f.layer = std::move(layer);
    return f;
  };
  // lodash through package-lock.json, through its package.json, and a
  // Debian package that happens to share its name and version.
  std::vector<finding> fs{npm("NSWG-ECO-368", "sha256:app"), npm("NSWG-ECO-368", "sha256:later"),
                          make("DEBIAN-x", {"CVE-1"}, "4.17.5-1", "Low", "lodash", "4.17.4")};
  fs[2].ecosystem = "Debian:12";
  merge_inventory_findings(fs);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].id, "NSWG-ECO-368");
  EXPECT_EQ(fs[0].layer, "sha256:app");
  EXPECT_EQ(fs[0].aliases, std::vector<std::string>{"CVE-1"});
  EXPECT_EQ(fs[1].id, "DEBIAN-x");
}

TEST(finding_merge, first_seen_is_carried_by_id_or_alias_per_package) {
  std::vector<finding> before{make("DEBIAN-a", {"CVE-1"}, "2", "Low", "openssl", "1"),
                              make("DEBIAN-x", {"CVE-9"}, "2", "Low", "curl", "1")};
  before[0].first_seen = 100;
  before[1].first_seen = 200;
  std::vector<finding> now{
    make("DEBIAN-b", {"CVE-1", "DEBIAN-a"}, "3", "Low", "openssl", "1"), // merged: id changed
    make("DEBIAN-x", {"CVE-9"}, "2", "Low", "libcurl4", "1"),             // other package
    make("DEBIAN-z", {"CVE-5"}, "2", "Low", "openssl", "1")};             // new
  carry_first_seen(before, now, 500);
  EXPECT_EQ(now[0].first_seen, 100);
  EXPECT_EQ(now[1].first_seen, 500);
  EXPECT_EQ(now[2].first_seen, 500);
}

} // namespace
} // namespace regscan
