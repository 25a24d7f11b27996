#include "scanners/os/rpm_cataloger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

#include "scanners/os/rpm_db.hpp"
#include "scanners/os/rpm_header.hpp"
#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

os_info rocky9() {
  return os_info{"rocky", "9.3", "", "Rocky Linux 9.3 (Blue Onyx)"};
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

// The three fixtures hold the same three packages (see make_fixtures.sh).
void expect_fixture_packages(const inventory& inv, std::string_view file) {
  EXPECT_TRUE(inv.notes.empty()) << (inv.notes.empty() ? "" : inv.notes.front());
  ASSERT_EQ(inv.packages.size(), 3u);
  auto* hello = find(inv, "hello-tiny");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->ecosystem, "Rocky Linux:9");
  EXPECT_EQ(hello->version, "2:1.2.3-4.el9");
  EXPECT_EQ(hello->source_name, "hello-tiny");
  EXPECT_EQ(hello->source_version, "2:1.2.3-4.el9");
  EXPECT_EQ(hello->file, file);
  EXPECT_EQ(hello->layer, "sha256:base");
  auto* devel = find(inv, "libfoo-devel");
  ASSERT_NE(devel, nullptr);
  EXPECT_EQ(devel->version, "0.9-1.fc39");
  EXPECT_EQ(devel->source_name, "libfoo");
  EXPECT_EQ(find(inv, "libfoo")->source_name, "libfoo");
  EXPECT_EQ(inv.owned_files.size(), 4u);
  EXPECT_TRUE(owns(inv, "usr/bin/hello-tiny", "hello-tiny"));
  EXPECT_TRUE(owns(inv, "usr/share/hello-tiny/README", "hello-tiny"));
  EXPECT_TRUE(owns(inv, "usr/lib/libfoo.so.0", "libfoo"));
  EXPECT_TRUE(owns(inv, "usr/include/foo.h", "libfoo-devel"));
}

TEST(rpm_cataloger, wants) {
  rpm_cataloger c;
  EXPECT_TRUE(c.wants("var/lib/rpm/rpmdb.sqlite"));
  EXPECT_TRUE(c.wants("var/lib/rpm/Packages"));
  EXPECT_TRUE(c.wants("var/lib/rpm/Packages.db"));
  EXPECT_TRUE(c.wants("usr/lib/sysimage/rpm/rpmdb.sqlite"));
  EXPECT_TRUE(c.wants("usr/lib/sysimage/rpm/Packages.db"));
  EXPECT_FALSE(c.wants("var/lib/rpm/rpmdb.sqlite-wal"));
  EXPECT_FALSE(c.wants("var/lib/rpm/Name"));
  EXPECT_FALSE(c.wants("var/lib/rpm/sub/Packages"));
}

TEST(rpm_cataloger, ecosystem) {
  EXPECT_EQ(rpm_ecosystem(os_info{"rhel", "9.3", "", ""}), "Red Hat");
  EXPECT_EQ(rpm_ecosystem(os_info{"centos", "7", "", ""}), "Red Hat");
  EXPECT_EQ(rpm_ecosystem(rocky9()), "Rocky Linux:9");
  EXPECT_EQ(rpm_ecosystem(os_info{"almalinux", "8.9", "", ""}), "AlmaLinux:8");
  EXPECT_EQ(rpm_ecosystem(os_info{"sles", "15.5", "", ""}), "SUSE");
  EXPECT_EQ(rpm_ecosystem(os_info{"opensuse-leap", "15.5", "", ""}), "openSUSE:Leap 15.5");
  EXPECT_EQ(rpm_ecosystem(os_info{"opensuse-tumbleweed", "20240101", "", ""}), "openSUSE:Tumbleweed");
  EXPECT_EQ(rpm_ecosystem(os_info{"fedora", "39", "", ""}), "fedora:39");
  EXPECT_EQ(rpm_ecosystem(os_info{}), "Red Hat");
}

TEST(rpm_cataloger, source_name) {
  EXPECT_EQ(rpm_source_name("bash-5.1.8-6.el9.src.rpm"), "bash");
  EXPECT_EQ(rpm_source_name("python3.11-pip-22.3.1-4.el9.src.rpm"), "python3.11-pip");
  EXPECT_EQ(rpm_source_name("foo-1-2.nosrc.rpm"), "foo");
  EXPECT_EQ(rpm_source_name("foo-1.src.rpm"), "");
  EXPECT_EQ(rpm_source_name("(none)"), "");
  EXPECT_EQ(rpm_source_name(""), "");
}

TEST(rpm_cataloger, sqlite_rpmdb_written_by_rpm) {
  rpm_cataloger c;
  inventory inv;
  c.parse("var/lib/rpm/rpmdb.sqlite", testdata::read("rpm/rpmdb.sqlite"), "sha256:base",
          rocky9(), inv);
  expect_fixture_packages(inv, "var/lib/rpm/rpmdb.sqlite");
}

TEST(rpm_cataloger, berkeley_db_packages_written_by_libdb) {
  rpm_cataloger c;
  inventory inv;
  c.parse("var/lib/rpm/Packages", testdata::read("rpm/Packages"), "sha256:base", rocky9(), inv);
  expect_fixture_packages(inv, "var/lib/rpm/Packages");
}

TEST(rpm_cataloger, ndb_packages_db) {
  rpm_cataloger c;
  inventory inv;
  c.parse("usr/lib/sysimage/rpm/Packages.db", testdata::read("rpm/Packages.db"), "sha256:base",
          rocky9(), inv);
  expect_fixture_packages(inv, "usr/lib/sysimage/rpm/Packages.db");
}

TEST(rpm_cataloger, rebase_os) {
  rpm_cataloger c;
  inventory inv;
  c.parse("var/lib/rpm/rpmdb.sqlite", testdata::read("rpm/rpmdb.sqlite"), "l", os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 3u);
  c.rebase_os(os_info{}, os_info{"almalinux", "9.3", "", ""}, inv.packages);
  for (const auto& p : inv.packages)
    EXPECT_EQ(p.ecosystem, "AlmaLinux:9");
}

// rpm itself is the reference: `rpm -qa` over the same sqlite and Berkeley DB
// files (its bdb_ro backend reads Packages without libdb too).
std::set<std::string> rpm_query(const std::string& backend, const std::string& fixture,
                                const std::string& file) {
  auto dir = std::filesystem::path(testing::TempDir()) / ("rpmq-" + backend);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(testdata::path(fixture), dir / file);
  auto cmd = "rpm --define '_db_backend " + backend + "' --dbpath " + dir.string()
             + " -qa --qf '%{NAME} %|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\\n' 2>/dev/null";
  std::set<std::string> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  char line[512];
  while (fgets(line, sizeof line, p)) {
    std::string s(line);
    if (!s.empty() && s.back() == '\n')
      s.pop_back();
    out.insert(s);
  }
  pclose(p);
  std::filesystem::remove_all(dir);
  return out;
}

TEST(rpm_cataloger, agrees_with_rpm_itself) {
  if (std::system("rpm --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "rpm is not installed (tools/install-deps.sh installs it)";
  for (auto [backend, fixture, file] :
       {std::tuple{"sqlite", "rpm/rpmdb.sqlite", "rpmdb.sqlite"},
        std::tuple{"bdb_ro", "rpm/Packages", "Packages"}}) {
    auto truth = rpm_query(backend, fixture, file);
    ASSERT_EQ(truth.size(), 3u) << backend;
    rpm_cataloger c;
    inventory inv;
    c.parse(std::string("var/lib/rpm/") + file, testdata::read(fixture), "l", rocky9(), inv);
    std::set<std::string> ours;
    for (const auto& p : inv.packages)
      ours.insert(p.name + " " + p.version);
    EXPECT_EQ(ours, truth) << backend;
  }
}

TEST(rpm_cataloger, damaged_databases_become_notes) {
  rpm_cataloger c;
  for (auto [fixture, path] : {std::pair{"rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"},
                               std::pair{"rpm/Packages", "var/lib/rpm/Packages"},
                               std::pair{"rpm/Packages.db", "var/lib/rpm/Packages.db"}}) {
    inventory inv;
    c.parse(path, "definitely not a database", "l", rocky9(), inv);
    EXPECT_TRUE(inv.packages.empty());
    ASSERT_EQ(inv.notes.size(), 1u) << path;
    EXPECT_NE(inv.notes[0].find(path), std::string::npos);
    // Truncated halfway: no crash, a note.
    auto full = testdata::read(fixture);
    inventory half;
    c.parse(path, std::string_view(full).substr(0, full.size() / 2), "l", rocky9(), half);
    EXPECT_FALSE(half.notes.empty()) << path;
  }
}

// Random byte flips in every fixture: whatever comes out, nothing crashes,
// reads out of bounds (run under ASan to see) or loops.
TEST(rpm_cataloger, corrupted_bytes_never_crash) {
  rpm_cataloger c;
  std::mt19937 rng(42);
  for (auto [fixture, path] : {std::pair{"rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"},
                               std::pair{"rpm/Packages", "var/lib/rpm/Packages"},
                               std::pair{"rpm/Packages.db", "var/lib/rpm/Packages.db"}}) {
    auto full = testdata::read(fixture);
    int rounds = std::string_view(fixture).ends_with("sqlite") ? 30 : 300;
    for (int round = 0; round < rounds; ++round) {
      auto bytes = full;
      for (int flips = 0; flips < 8; ++flips)
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      inventory inv;
      c.parse(path, bytes, "l", rocky9(), inv);
      EXPECT_LE(inv.packages.size(), 4u);
    }
  }
}

TEST(rpm_cataloger, module_stream) {
  EXPECT_EQ(rpm_module_stream("nodejs:18:8090020240104110138:a75119d5"), "nodejs:18");
  EXPECT_EQ(rpm_module_stream("container-tools:rhel8"), "container-tools:rhel8");
  EXPECT_EQ(rpm_module_stream("nodejs"), "");
  EXPECT_EQ(rpm_module_stream(":18:1:a"), "");
  EXPECT_EQ(rpm_module_stream("nodejs::1:a"), "");
  EXPECT_EQ(rpm_module_stream(""), "");
}

// rpm itself writes the header: two packages built by rpmbuild, one in a
// module stream (ModularityLabel), installed into an sqlite rpmdb.
TEST(rpm_cataloger, modularity_label_written_by_rpm) {
  if (std::system("command -v rpmbuild >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "rpmbuild (Debian's rpm) is not installed";
  namespace fs = std::filesystem;
  fs::path top = fs::path{::testing::TempDir()} / ("regscan_rpmmod_" + std::to_string(::getpid()));
  fs::remove_all(top);
  fs::create_directories(top / "db");
  auto spec = [&](const std::string& name, const std::string& release, const std::string& label) {
    std::ofstream out{top / (name + ".spec")};
    out << "Name: " << name << "\nVersion: 18.19.0\nRelease: " << release
        << "\nSummary: t\nLicense: MIT\nBuildArch: noarch\n"
        << (label.empty() ? "" : "ModularityLabel: " + label + "\n")
        << "%description\nt\n%files\n";
  };
  spec("nodejs", "1.module+el8.9.0+20800+5f8fb9e6", "nodejs:18:8090020240104110138:a75119d5");
  spec("zlib", "1.el8", "");
  std::string t = top.string();
  std::string script =
      "cd '" + t + "' && for s in *.spec; do rpmbuild --define \"_topdir " + t +
      "/top\" -bb $s >/dev/null 2>&1 || exit 1; done && "
      "rpm --define '_db_backend sqlite' --dbpath '" + t + "/db' --initdb && "
      "rpm --define '_db_backend sqlite' --dbpath '" + t +
      "/db' -i --nodeps --justdb --ignorearch top/RPMS/noarch/*.rpm";
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  std::ifstream in{top / "db" / "rpmdb.sqlite", std::ios::binary};
  std::string db{std::istreambuf_iterator<char>(in), {}};
  rpm_cataloger c;
  inventory inv;
  c.parse("var/lib/rpm/rpmdb.sqlite", db, "l", os_info{"rhel", "8.9", "", ""}, inv);
  fs::remove_all(top);
  EXPECT_TRUE(inv.notes.empty()) << (inv.notes.empty() ? "" : inv.notes.front());
  ASSERT_NE(find(inv, "nodejs"), nullptr);
  EXPECT_EQ(find(inv, "nodejs")->module, "nodejs:18");
  EXPECT_EQ(find(inv, "nodejs")->version, "18.19.0-1.module+el8.9.0+20800+5f8fb9e6");
  ASSERT_NE(find(inv, "zlib"), nullptr);
  EXPECT_EQ(find(inv, "zlib")->module, "");
}

TEST(rpm_header, rejects_bad_blobs) {
  EXPECT_FALSE(parse_rpm_header(""));
  EXPECT_FALSE(parse_rpm_header(std::string("\0\0\0\1\0\0\0\0", 8))); // index past the end
  EXPECT_FALSE(parse_rpm_header(std::string("\xff\xff\xff\xff\0\0\0\0", 8)));
  // One NAME entry whose string has no NUL inside the data.
  std::string blob("\0\0\0\1\0\0\0\3" "\0\0\x03\xe8\0\0\0\6\0\0\0\0\0\0\0\1" "abc", 27);
  auto h = parse_rpm_header(blob);
  EXPECT_FALSE(h);
}

} // namespace
} // namespace regscan
