#include "scanners/os/dpkg_cataloger.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "scanners/catalogers.hpp"

namespace regscan {
namespace {

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(REGSCAN_SOURCE_DIR) + "/scanners/testdata/dpkg/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

os_info debian12() {
  return os_info{"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
}

const package* find(const inventory& inv, std::string_view name) {
  for (const auto& p : inv.packages)
    if (p.name == name)
      return &p;
  return nullptr;
}

TEST(dpkg_cataloger, wants) {
  dpkg_cataloger c;
  EXPECT_TRUE(c.wants("var/lib/dpkg/status"));
  EXPECT_TRUE(c.wants("var/lib/dpkg/status.d/libc6"));
  EXPECT_FALSE(c.wants("var/lib/dpkg/status.d/libc6.md5sums"));
  EXPECT_FALSE(c.wants("var/lib/dpkg/status.d/"));
  EXPECT_FALSE(c.wants("var/lib/dpkg/status.d/sub/x"));
  EXPECT_FALSE(c.wants("var/lib/dpkg/status-old"));
  EXPECT_FALSE(c.wants("var/lib/dpkg/status.d"));
  EXPECT_FALSE(c.wants("/var/lib/dpkg/status"));
}

TEST(dpkg_cataloger, real_status_file) {
  dpkg_cataloger c;
  inventory inv;
  c.parse("var/lib/dpkg/status", read_testdata("status"), "sha256:base", debian12(), inv);
  ASSERT_EQ(inv.packages.size(), 6u);
  EXPECT_EQ(find(inv, "oldpkg"), nullptr); // deinstall ok config-files, named in a note
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_EQ(inv.notes[0], "dpkg: var/lib/dpkg/status: 1 package(s) not installed (removed, or no "
                          "Status:), not listed: oldpkg");

  auto* bash = find(inv, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->ecosystem, "Debian:12");
  EXPECT_EQ(bash->version, "5.2.15-2+b8");
  EXPECT_EQ(bash->source_name, "bash");
  EXPECT_EQ(bash->source_version, "5.2.15-2");
  EXPECT_EQ(bash->file, "var/lib/dpkg/status");
  EXPECT_EQ(bash->layer, "sha256:base");

  auto* bsdutils = find(inv, "bsdutils");
  ASSERT_NE(bsdutils, nullptr);
  EXPECT_EQ(bsdutils->version, "1:2.38.1-5+deb12u3");
  EXPECT_EQ(bsdutils->source_name, "util-linux");
  EXPECT_EQ(bsdutils->source_version, "2.38.1-5+deb12u3");

  auto* libc = find(inv, "libc6");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->source_name, "glibc");
  EXPECT_EQ(libc->source_version, libc->version);

  auto* base = find(inv, "base-files");
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(base->source_name, "base-files");
  EXPECT_EQ(base->source_version, base->version);
}

TEST(dpkg_cataloger, status_d_without_status_field) {
  dpkg_cataloger c;
  inventory inv;
  for (auto name : {"libc6", "tzdata", "libssl3"})
    c.parse(std::string("var/lib/dpkg/status.d/") + name, read_testdata(std::string("status.d/") + name),
            "sha256:l1", debian12(), inv);
  ASSERT_EQ(inv.packages.size(), 3u);
  auto* tz = find(inv, "tzdata");
  ASSERT_NE(tz, nullptr);
  EXPECT_EQ(tz->source_name, "tzdata");
  EXPECT_EQ(tz->file, "var/lib/dpkg/status.d/tzdata");
  EXPECT_EQ(find(inv, "libssl3")->source_name, "openssl");
}

TEST(dpkg_cataloger, status_file_stanza_without_status_is_not_installed) {
  dpkg_cataloger c;
  inventory inv;
  c.parse("var/lib/dpkg/status", "Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\nStatus: hold ok installed\n",
          "l", debian12(), inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].name, "b");
}

TEST(dpkg_cataloger, malformed_stanzas_skipped_with_notes) {
  dpkg_cataloger c;
  inventory inv;
  std::string content =
    "Package: good\nStatus: install ok installed\nVersion: 1.0\n\n"
    "this line has no colon\nPackage: bad1\nStatus: install ok installed\nVersion: 1\n\n"
    "Package: bad2\nStatus: install ok installed\n\n"                               // no Version
    "Package: bad3\nStatus: install ok installed\nVersion: 1\nSource: x (\n\n"       // bad Source
    " leading continuation\nPackage: bad4\nStatus: install ok installed\nVersion: 1\n\n"
    "Package: good2\r\nStatus: install ok installed\r\nVersion: 2.0\r\n"
    "Description: multi\r\n line\r\n";
  c.parse("var/lib/dpkg/status", content, "l", debian12(), inv);
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].name, "good");
  EXPECT_EQ(inv.packages[1].name, "good2");
  EXPECT_EQ(inv.packages[1].version, "2.0");
  EXPECT_EQ(inv.notes.size(), 4u);
}

// Issue 16: Source is a one-line field; a continuation line after it is
// not part of the source package's name.
TEST(dpkg_cataloger, source_continuation_line) {
  dpkg_cataloger c;
  inventory inv;
  c.parse("var/lib/dpkg/status",
          "Package: libfoo1\nStatus: install ok installed\nVersion: 1.0-1\nSource: foo\n (1.0-0)\n\n"
          "Package: libbar1\nStatus: install ok installed\nVersion: 2.0-1\nSource: bar\n stray text\n",
          "l", debian12(), inv);
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].source_name, "foo");
  EXPECT_EQ(inv.packages[0].source_version, "1.0-0");
  EXPECT_EQ(inv.packages[1].source_name, "bar");
  EXPECT_EQ(inv.packages[1].source_version, "2.0-1");
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("stray text"), std::string::npos);
  EXPECT_NE(inv.notes[0].find("libbar1"), std::string::npos);
}

TEST(dpkg_cataloger, garbage_never_crashes) {
  dpkg_cataloger c;
  inventory inv;
  std::string junk;
  for (int i = 0; i < 5000; ++i)
    junk += static_cast<char>((i * 7919) % 256);
  c.parse("var/lib/dpkg/status", junk, "l", debian12(), inv);
  c.parse("var/lib/dpkg/status", "", "l", debian12(), inv);
  c.parse("var/lib/dpkg/status", "\n\n\n:\n \n", "l", debian12(), inv);
  EXPECT_TRUE(inv.packages.empty());
}

TEST(dpkg_cataloger, ecosystems) {
  EXPECT_EQ(dpkg_ecosystem({"debian", "12", "", ""}), "Debian:12");
  EXPECT_EQ(dpkg_ecosystem({"debian", "11.9", "", ""}), "Debian:11");
  EXPECT_EQ(dpkg_ecosystem({"ubuntu", "22.04", "", ""}), "Ubuntu:22.04");
  EXPECT_EQ(dpkg_ecosystem({"raspbian", "12", "", ""}), "raspbian:12");
  EXPECT_EQ(dpkg_ecosystem({"debian", "", "trixie", ""}), "Debian");
}

TEST(dpkg_cataloger, listed_in_default_catalogers) {
  auto all = default_catalogers();
  bool found = false;
  for (const auto& c : all)
    found = found || c->name() == "dpkg";
  EXPECT_TRUE(found);
}

} // namespace
} // namespace regscan
