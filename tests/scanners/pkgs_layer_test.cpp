// The OS and Java/Ruby/PHP/.NET/Rust catalogers through the real layer walk:
// layers made by `tar` from the golden files, analyzed by image_analyzer
// with every cataloger.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "scanners/layer/image_analyzer.hpp"
#include "tests/scanners/testdata_util.hpp"

namespace regscan {
namespace {

bool sh(const std::string& cmd, std::string& out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return false;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  return pclose(p) == 0;
}

// Copies testdata files into a fresh tree ("from=>to" pairs), writes
// etc/os-release, and returns the tar of it.
std::string make_layer(const std::vector<std::pair<std::string, std::string>>& files,
                       const std::string& os_release) {
  char tmpl[] = "/tmp/regscan-pkgs-layer-XXXXXX";
  if (!mkdtemp(tmpl))
    return {};
  std::string dir = tmpl, out;
  std::string cmd = "set -e; cd '" + dir + "'; mkdir -p root/etc; printf '%s' '" + os_release
                    + "' > root/etc/os-release";
  for (const auto& [from, to] : files)
    cmd += "; mkdir -p \"$(dirname 'root/" + to + "')\"; cp '" + testdata::path(from) + "' 'root/"
           + to + "'";
  cmd += "; chmod 755 root/usr/local/bin/* 2>/dev/null || true; tar -C root -cf - . 2>&1";
  std::string tar;
  bool ok = sh(cmd, tar);
  sh("rm -rf '" + dir + "'", out);
  return ok ? tar : std::string{};
}

inventory analyze(const std::string& layer) {
  image_analyzer analyzer;
  analyzer.begin_layer("sha256:one");
  (void)analyzer.feed(reinterpret_cast<const uint8_t*>(layer.data()), layer.size());
  (void)analyzer.end_layer();
  return analyzer.finish();
}

std::set<std::string> summary(const inventory& inv) {
  std::set<std::string> got;
  for (const auto& p : inv.packages)
    got.insert(p.ecosystem + " " + p.name + "@" + p.version + " " + p.file);
  return got;
}

TEST(pkgs_layer, alpine_with_java_ruby_php_dotnet_rust) {
  if (std::system("tar --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tar is not installed";
  auto layer = make_layer(
      {{"apk/installed", "lib/apk/db/installed"},
       {"java/app.ear", "srv/app.ear"},
       {"java/commons-cli-1.5.0.jar", "usr/share/java/commons-cli.jar"},
       {"gem/specifications/rake-13.0.6.gemspec",
        "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"},
       {"gem/specifications/default/csv-3.2.2.gemspec",
        "usr/lib/ruby/gems/3.1.0/specifications/default/csv-3.2.2.gemspec"},
       {"composer/installed-v2.json", "var/www/vendor/composer/installed.json"},
       {"dotnet/app.deps.json", "app/app.deps.json"},
       {"cargo_auditable/hello-auditable", "usr/local/bin/hello"}},
      "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n");
  ASSERT_FALSE(layer.empty());
  auto inv = analyze(layer);
  auto got = summary(inv);
  for (std::string want :
       {"Alpine:v3.19 musl@1.2.4_git20230717-r4 lib/apk/db/installed",
        "Alpine:v3.19 ssl_client@1.36.1-r15 lib/apk/db/installed",
        "Maven commons-cli:commons-cli@1.5.0 srv/app.ear!/app.war!/WEB-INF/lib/commons-cli-1.5.0.jar",
        "Maven javax.inject@1.0.0 srv/app.ear!/app.war!/WEB-INF/lib/javax.inject-1.0.0.jar",
        "Maven commons-cli:commons-cli@1.5.0 usr/share/java/commons-cli.jar",
        "RubyGems rake@13.0.6 usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
        "RubyGems csv@3.2.2 usr/lib/ruby/gems/3.1.0/specifications/default/csv-3.2.2.gemspec",
        "Packagist symfony/http-foundation@6.4.0 var/www/vendor/composer/installed.json",
        "NuGet Serilog@3.1.1 app/app.deps.json",
        "crates.io serde@1.0.188 usr/local/bin/hello"})
    EXPECT_TRUE(got.contains(want)) << want;
  EXPECT_EQ(got.size(), 4u + 3u + 2u + 4u + 2u + 3u);
  for (const auto& p : inv.packages)
    EXPECT_EQ(p.layer, "sha256:one");
}

TEST(pkgs_layer, rocky_rpmdb_sqlite) {
  if (std::system("tar --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tar is not installed";
  auto layer = make_layer({{"rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"}},
                          "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n");
  ASSERT_FALSE(layer.empty());
  auto got = summary(analyze(layer));
  EXPECT_EQ(got, (std::set<std::string>{
                     "Rocky Linux:9 hello-tiny@2:1.2.3-4.el9 var/lib/rpm/rpmdb.sqlite",
                     "Rocky Linux:9 libfoo@0.9-1.fc39 var/lib/rpm/rpmdb.sqlite",
                     "Rocky Linux:9 libfoo-devel@0.9-1.fc39 var/lib/rpm/rpmdb.sqlite"}));
}

TEST(pkgs_layer, damaged_rpmdb_leaves_the_rest_analyzed) {
  if (std::system("tar --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tar is not installed";
  auto layer = make_layer({{"apk/README.md", "var/lib/rpm/Packages"},
                           {"java/commons-cli-1.5.0.jar", "usr/share/java/commons-cli.jar"}},
                          "ID=centos\nVERSION_ID=\"7\"\n");
  ASSERT_FALSE(layer.empty());
  auto inv = analyze(layer);
  EXPECT_EQ(summary(inv), (std::set<std::string>{
                              "Maven commons-cli:commons-cli@1.5.0 usr/share/java/commons-cli.jar"}));
  bool noted = false;
  for (const auto& n : inv.notes)
    noted = noted || n.find("var/lib/rpm/Packages") != std::string::npos;
  EXPECT_TRUE(noted);
}

} // namespace
} // namespace regscan
