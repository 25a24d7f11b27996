#include "scanners/lang/python_cataloger.hpp"

#include <gtest/gtest.h>

#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

using lang_test::names;
using lang_test::testdata;
using set = std::set<std::string>;

TEST(python_cataloger, wants) {
  python_cataloger c;
  EXPECT_TRUE(c.wants("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA"));
  EXPECT_TRUE(c.wants("usr/local/lib/python3.12/site-packages/pip-23.0.dist-info/METADATA"));
  EXPECT_TRUE(c.wants("app/.venv/lib/python3.11/site-packages/a-1.egg-info/PKG-INFO"));
  EXPECT_TRUE(c.wants("usr/lib/python3/dist-packages/rpm-4.18.0.egg-info"));
  EXPECT_TRUE(c.wants("usr/lib/python2.7/site-packages/x-1.0-py2.7.egg/EGG-INFO/PKG-INFO"));
  EXPECT_FALSE(c.wants("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD"));
  EXPECT_FALSE(c.wants("src/PyYAML-6.0.dist-info/METADATA")); // not installed
  EXPECT_FALSE(c.wants("usr/lib/python3/dist-packages/x/METADATA"));
  EXPECT_FALSE(c.wants("PKG-INFO"));
  EXPECT_FALSE(c.wants("usr/lib/python3/dist-packages/a-1.egg-info/SOURCES.txt"));
}

TEST(python_cataloger, real_debian_metadata) {
  python_cataloger c;
  inventory inv;
  auto root = testdata("python");
  lang_test::walk(c, root, root, inv, "sha256:py");
  EXPECT_EQ(names(inv), (set{"PyYAML@6.0", "cryptography@38.0.4", "Pygments@2.14.0",
                             "lazr.uri@1.0.6", "rpm@4.18.0"}));
  EXPECT_TRUE(inv.notes.empty());
  for (const auto& p : inv.packages) {
    EXPECT_EQ(p.ecosystem, "PyPI");
    EXPECT_EQ(p.layer, "sha256:py");
    EXPECT_TRUE(p.file.starts_with("usr/lib/python3/dist-packages/")) << p.file;
  }
}

TEST(python_cataloger, normalized_names) {
  EXPECT_EQ(python_normalized_name("PyYAML"), "pyyaml");
  EXPECT_EQ(python_normalized_name("lazr.uri"), "lazr-uri");
  EXPECT_EQ(python_normalized_name("Foo__Bar-.baz"), "foo-bar-baz");
  EXPECT_EQ(python_normalized_name("zope.interface"), "zope-interface");
}

// The truth: what Python's own importlib.metadata finds in Debian's dist-packages.
TEST(python_cataloger, matches_importlib_metadata_on_debian_dist_packages) {
  const std::string dir = "/usr/lib/python3/dist-packages";
  if (!lang_test::have("/usr/bin/python3") || !std::filesystem::is_directory(dir))
    GTEST_SKIP() << "Debian's python3 is not installed (tools/install-deps.sh installs it)";
  std::string listing;
  ASSERT_TRUE(lang_test::run(
    "/usr/bin/python3 -c 'import importlib.metadata as m\n"
    "for d in m.distributions(path=[\"" + dir + "\"]): print(d.metadata[\"Name\"] + \"@\" + d.version)'",
    listing));
  set truth;
  for (size_t at = 0; at < listing.size();) {
    auto nl = listing.find('\n', at);
    truth.insert(listing.substr(at, nl - at));
    at = nl == std::string::npos ? listing.size() : nl + 1;
  }
  ASSERT_FALSE(truth.empty());
  python_cataloger c;
  inventory inv;
  lang_test::walk(c, dir, "/", inv);
  EXPECT_EQ(names(inv), truth);
  EXPECT_TRUE(inv.notes.empty());
}

TEST(python_cataloger, malformed_files_become_notes) {
  python_cataloger c;
  inventory inv;
  const std::string f = "usr/lib/python3/dist-packages/x-1.dist-info/METADATA";
  c.parse(f, "Metadata-Version: 2.1\nSummary: no name\n", "l", os_info{}, inv);
  c.parse(f, "", "l", os_info{}, inv);
  c.parse(f, "\x89PNG\r\n\x1a\n binary", "l", os_info{}, inv);
  c.parse(f, "Name: a\n\nVersion: 1\n", "l", os_info{}, inv); // Version in the body
  EXPECT_TRUE(inv.packages.empty());
  ASSERT_EQ(inv.notes.size(), 4u);
  EXPECT_NE(inv.notes[0].find(f), std::string::npos);
  c.parse(f, "Metadata-Version: 2.1\r\nName: Flask\r\nVersion: 2.2.2\r\n\r\nbody", "l", os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].name + "@" + inv.packages[0].version, "Flask@2.2.2");
}

} // namespace
} // namespace regscan
