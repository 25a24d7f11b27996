#include "scanners/os/apk_cataloger.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

os_info alpine319() {
  return os_info{"alpine", "3.19.1", "", "Alpine Linux v3.19"};
}

const package* find(const inventory& inv, std::string_view name) {
  for (const auto& p : inv.packages)
    if (p.name == name)
      return &p;
  return nullptr;
}

bool owns(const inventory& inv, std::string_view path, std::string_view pkg) {
  return std::any_of(inv.owned_files.begin(), inv.owned_files.end(),
                     [&](const owned_file& f) { return f.path == path && f.package == pkg; });
}

TEST(apk_cataloger, wants) {
  apk_cataloger c;
  EXPECT_TRUE(c.wants("lib/apk/db/installed"));
  EXPECT_FALSE(c.wants("lib/apk/db/installed.old"));
  EXPECT_FALSE(c.wants("usr/lib/apk/db/installed"));
}

TEST(apk_cataloger, ecosystem) {
  EXPECT_EQ(apk_ecosystem(alpine319()), "Alpine:v3.19");
  EXPECT_EQ(apk_ecosystem(os_info{"alpine", "3.20.0_alpha20240329", "", ""}), "Alpine:v3.20");
  EXPECT_EQ(apk_ecosystem(os_info{"wolfi", "20230201", "", ""}), "Wolfi");
  EXPECT_EQ(apk_ecosystem(os_info{}), "Alpine");
}

TEST(apk_cataloger, installed_db) {
  apk_cataloger c;
  inventory inv;
  c.parse("lib/apk/db/installed", testdata::read("apk/installed"), "sha256:l1", alpine319(), inv);
  EXPECT_TRUE(inv.notes.empty());
  ASSERT_EQ(inv.packages.size(), 4u);
  auto* musl = find(inv, "musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->ecosystem, "Alpine:v3.19");
  EXPECT_EQ(musl->version, "1.2.4_git20230717-r4");
  EXPECT_EQ(musl->source_name, "musl");
  EXPECT_EQ(musl->file, "lib/apk/db/installed");
  EXPECT_EQ(musl->layer, "sha256:l1");
  auto* ssl = find(inv, "ssl_client");
  ASSERT_NE(ssl, nullptr);
  EXPECT_EQ(ssl->source_name, "busybox");
  EXPECT_EQ(ssl->source_version, "1.36.1-r15");
  EXPECT_EQ(find(inv, "libcrypto3")->source_name, "openssl");

  EXPECT_EQ(inv.owned_files.size(), 10u);
  EXPECT_TRUE(owns(inv, "lib/ld-musl-x86_64.so.1", "musl"));
  EXPECT_TRUE(owns(inv, "bin/sh", "busybox"));
  EXPECT_TRUE(owns(inv, "etc/logrotate.d/acpid", "busybox"));
  EXPECT_TRUE(owns(inv, "usr/lib/engines-3/afalg.so", "libcrypto3"));
  EXPECT_TRUE(owns(inv, "usr/bin/ssl_client", "ssl_client"));
}

TEST(apk_cataloger, rebase_os) {
  apk_cataloger c;
  inventory inv;
  c.parse("lib/apk/db/installed", testdata::read("apk/installed"), "l", os_info{}, inv);
  ASSERT_EQ(inv.packages.front().ecosystem, "Alpine");
  c.rebase_os(os_info{}, alpine319(), inv.packages);
  for (const auto& p : inv.packages)
    EXPECT_EQ(p.ecosystem, "Alpine:v3.19");
}

TEST(apk_cataloger, malformed_records_become_notes) {
  apk_cataloger c;
  inventory inv;
  c.parse("lib/apk/db/installed", "P:ok\nV:1-r0\n\nP:noversion\n\ngarbage line\nV:2\nR:../x/y\n",
          "l", alpine319(), inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].name, "ok");
  ASSERT_EQ(inv.notes.size(), 3u);
  EXPECT_NE(inv.notes[0].find("lib/apk/db/installed"), std::string::npos);
  EXPECT_NE(inv.notes[2].find("malformed line"), std::string::npos);
}

TEST(apk_cataloger, truncations_never_crash) {
  apk_cataloger c;
  auto full = testdata::read("apk/installed");
  for (size_t n = 0; n < full.size(); n += 7) {
    inventory inv;
    c.parse("lib/apk/db/installed", std::string_view(full).substr(0, n), "l", alpine319(), inv);
    EXPECT_LE(inv.packages.size(), 4u);
  }
}

} // namespace
} // namespace regscan

namespace regscan {
namespace {

// One long F: line and many R: lines must not multiply memory without end.
TEST(apk_cataloger, owned_paths_are_bounded) {
  std::string db = "P:big\nV:1-r0\nF:" + std::string(4000, 'd') + "\n";
  for (int i = 0; i < 20000; ++i)
    db += "R:f" + std::to_string(i) + "\n";
  apk_cataloger c;
  inventory inv;
  c.parse("lib/apk/db/installed", db, "l", os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_LT(inv.owned_files.size(), 20000u);
  ASSERT_FALSE(inv.notes.empty());
  EXPECT_NE(inv.notes[0].find("bytes of file paths"), std::string::npos);
}

} // namespace
} // namespace regscan
