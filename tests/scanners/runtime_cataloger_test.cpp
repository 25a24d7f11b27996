#include "scanners/lang/runtime_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

using lang_test::names;
using lang_test::slurp;
using lang_test::testdata;
using set = std::set<std::string>;

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

TEST(runtime_cataloger, wants) {
  runtime_cataloger c;
  EXPECT_TRUE(c.wants("usr/local/go/VERSION"));
  EXPECT_TRUE(c.wants("usr/local/include/python3.12/patchlevel.h"));
  EXPECT_TRUE(c.wants("usr/local/lib/libpython3.12.so.1.0"));
  EXPECT_TRUE(c.wants("opt/java/openjdk/release"));
  EXPECT_TRUE(c.wants("usr/lib/jvm/java-17-openjdk-amd64/release"));
  EXPECT_FALSE(c.wants("usr/local/go/src/VERSION"));
  EXPECT_FALSE(c.wants("etc/release"));
  EXPECT_FALSE(c.wants("usr/local/lib/libpython3.so"));
  EXPECT_FALSE(c.wants("usr/include/patchlevel.h"));
  EXPECT_TRUE(c.wants_executable("usr/local/bin/node", 0755, 90 << 20));
  EXPECT_TRUE(c.wants_executable("usr/local/bin/python3.12", 0755, 20000));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/python3", 0755, 20000)); // a symlink to python3.12
  EXPECT_FALSE(c.wants_executable("usr/local/bin/python3.12-config", 0755, 3000));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/node", 0644, 90 << 20));
  EXPECT_FALSE(c.wants_executable("usr/local/bin/nodemon", 0755, 100));
}

TEST(runtime_cataloger, golden_files) {
  runtime_cataloger c;
  inventory inv;
  auto root = testdata("runtime");
  lang_test::walk(c, root, root, inv, "sha256:rt");
  // Go's VERSION of Debian's golang 1.19, CPython 3.11's patchlevel.h, Temurin 25's release.
  EXPECT_EQ(names(inv), (set{"stdlib@1.19.8", "python@3.11.2", "java@25.0.3"}));
  EXPECT_TRUE(inv.notes.empty());
  for (const auto& p : inv.packages) {
    EXPECT_EQ(p.ecosystem, p.name == "stdlib" ? "Go" : "runtime");
    EXPECT_EQ(p.layer, "sha256:rt");
  }
}

// Real interpreters on this machine against what they say about themselves.
TEST(runtime_cataloger, real_binaries_match_their_own_version) {
  struct probe {
    std::string binary, as, name, ask;
  };
  std::vector<probe> probes = {
    {"/usr/bin/node", "usr/local/bin/node", "node", "/usr/bin/node -p 'process.versions.node'"},
    {"/usr/bin/python3.11", "usr/local/bin/python3.11", "python",
     "/usr/bin/python3.11 -c 'import platform; print(platform.python_version())'"},
  };
  int checked = 0;
  for (const auto& p : probes) {
    if (!std::filesystem::exists(p.binary))
      continue;
    std::string truth;
    ASSERT_TRUE(lang_test::run(p.ask, truth)) << p.ask;
    runtime_cataloger c;
    inventory inv;
    ASSERT_TRUE(c.wants_executable(p.as, 0755, 1 << 20));
    c.parse(p.as, slurp(p.binary), "l", os_info{}, inv);
    EXPECT_EQ(names(inv), set{p.name + "@" + first_line(truth)}) << p.binary;
    ++checked;
  }
  std::string go_version;
  if (std::filesystem::exists("/usr/lib/go/VERSION") && lang_test::run("go env GOVERSION", go_version)) {
    runtime_cataloger c;
    inventory inv;
    c.parse("usr/local/go/VERSION", slurp("/usr/lib/go/VERSION"), "l", os_info{}, inv);
    EXPECT_EQ(names(inv), set{"stdlib@" + first_line(go_version).substr(2)});
    ++checked;
  }
  if (checked == 0)
    GTEST_SKIP() << "no node, python3.11 or go installed";
}

TEST(runtime_cataloger, python_launcher_and_library) {
  runtime_cataloger c;
  inventory inv;
  std::string lib = std::string("junk\0", 5) + std::string("3.12.1", 6) + std::string("\0more", 5);
  c.parse("usr/local/lib/libpython3.12.so.1.0", lib, "l1", os_info{}, inv);
  c.parse("usr/local/bin/python3.12", "\x7f" "ELF a launcher: the version is in libpython", "l1",
          os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].file, "usr/local/lib/libpython3.12.so.1.0");
  EXPECT_EQ(inv.packages[0].version, "3.12.1");
  EXPECT_TRUE(inv.notes.empty());
}

TEST(runtime_cataloger, unreadable_files_become_notes) {
  runtime_cataloger c;
  inventory inv;
  c.parse("usr/local/go/VERSION", "devel +abc\n", "l", os_info{}, inv);
  c.parse("usr/local/bin/node", "\x7f" "ELF no version here", "l", os_info{}, inv);
  c.parse("usr/local/lib/libpython3.12.so", std::string("\0" "3.12.\0" "3.1.2\0", 14), "l", os_info{}, inv);
  c.parse("opt/java/openjdk/release", "IMPLEMENTOR=\"x\"\n", "l", os_info{}, inv);
  c.parse("usr/local/include/python3.12/patchlevel.h", "#define PY_VERSION \"", "l", os_info{}, inv);
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 5u);
  EXPECT_NE(inv.notes[1].find("usr/local/bin/node"), std::string::npos);
}

} // namespace
} // namespace regscan
