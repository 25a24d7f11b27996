// Matching per ecosystem, with real OSV records from ../shared/data/osv
// copied to scanners/testdata/osv_record.
#include "scanners/match/vuln_matcher.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "scanners/match/osv_record.hpp"
#include "scanners/lang/npm_cataloger.hpp"
#include "scanners/lang/runtime_cataloger.hpp"

namespace regscan {
namespace {

osv_record load(const std::string& name) {
  std::ifstream in{std::string{REGSCAN_SOURCE_DIR} + "/scanners/testdata/osv_record/" + name};
  std::stringstream ss;
  ss << in.rdbuf();
  auto rec = parse_osv_record(ss.str());
  EXPECT_TRUE(rec) << name << ": " << rec.err().message;
  return rec ? *rec : osv_record{};
}

package make(std::string ecosystem, std::string name, std::string version) {
  package p;
  p.ecosystem = std::move(ecosystem);
  p.name = std::move(name);
  p.version = std::move(version);
  p.layer = "sha256:bbbb";
  return p;
}

TEST(vuln_matcher_npm, semver_range_with_last_affected) {
  osv_record rec = load("NSWG-ECO-1.json"); // bassmaster: introduced 0, last_affected 1.5.1
  auto f = match_package(make("npm", "bassmaster", "1.5.1"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "");
  EXPECT_EQ(f->fix_advice, "no fix available yet");
  EXPECT_EQ(f->severity, "Medium"); // CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N = 6.5
  EXPECT_EQ(f->layer, "sha256:bbbb");
  EXPECT_TRUE(match_package(make("npm", "bassmaster", "0.0.1"), rec));
  EXPECT_TRUE(match_package(make("npm", "bassmaster", "1.5.1-beta.1"), rec));
  EXPECT_FALSE(match_package(make("npm", "bassmaster", "1.5.2"), rec));
  EXPECT_FALSE(match_package(make("npm", "bassmaster", "1.6.0-alpha"), rec));
  EXPECT_FALSE(match_package(make("npm", "Bassmaster", "1.0.0"), rec)); // npm names are exact
  EXPECT_FALSE(match_package(make("PyPI", "bassmaster", "1.0.0"), rec));
}

TEST(vuln_matcher_npm, owned_language_packages_are_left_to_their_os_package) {
  osv_record rec = load("NSWG-ECO-1.json");
  package p = make("npm", "bassmaster", "1.0.0");
  p.owner = "node-bassmaster"; // its file belongs to a Debian package
  EXPECT_FALSE(match_package(p, rec));
}

TEST(vuln_matcher_npm, packages_not_from_the_registry_are_never_matched) {
  osv_record rec = load("NSWG-ECO-1.json"); // bassmaster <= 1.5.1
  // A project named like the advisory's package, a workspace member and a
  // git fork of it, all at affected versions, and the registry package.
  constexpr std::string_view lock = R"({"name": "bassmaster", "version": "1.0.0", "lockfileVersion": 3,
    "packages": {
      "": {"name": "bassmaster", "version": "1.0.0", "workspaces": ["ws/*"]},
      "ws/b": {"name": "bassmaster", "version": "1.1.0"},
      "node_modules/fork": {"name": "bassmaster", "version": "1.2.0",
        "resolved": "git+https://example.com/b.git#0123456789abcdef0123456789abcdef01234567"},
      "ws/b/node_modules/bassmaster": {"version": "1.3.0",
        "resolved": "https://registry.npmjs.org/bassmaster/-/bassmaster-1.3.0.tgz"}}})";
  npm_cataloger c;
  inventory inv;
  c.parse("app/package-lock.json", lock, "l", os_info{}, inv);
  std::map<std::string, std::string> kinds; // version -> kind
  std::vector<std::string> matched;
  for (const auto& p : inv.packages) {
    kinds[p.version] = p.kind;
    if (match_package(p, rec))
      matched.push_back(p.version);
  }
  EXPECT_EQ(kinds, (std::map<std::string, std::string>{
                       {"1.0.0", "root"}, {"1.1.0", "workspace"}, {"1.2.0", "git"}, {"1.3.0", ""}}));
  EXPECT_EQ(matched, std::vector<std::string>{"1.3.0"});
  EXPECT_TRUE(inv.notes.empty());
}

TEST(vuln_matcher_pypi, names_are_normalised_on_both_sides) {
  EXPECT_EQ(normalized_package_name("PyPI", "Flask_CORS"), "flask-cors");
  EXPECT_EQ(normalized_package_name("PyPI", "zope.interface"), "zope-interface");
  EXPECT_EQ(normalized_package_name("PyPI", "A--b__.c"), "a-b-c");
  EXPECT_EQ(normalized_package_name("npm", "Flask_CORS"), "Flask_CORS");

  osv_record rec = load("PYSEC-2024-71.json"); // flask-cors < 5.0.0, CVSS 3.1 7.5
  for (const char* name : {"flask-cors", "Flask-Cors", "Flask_CORS", "flask.cors"}) {
    auto f = match_package(make("PyPI", name, "4.0.1"), rec);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(f->fixed_version, "5.0.0");
    EXPECT_EQ(f->severity, "High");
  }
  EXPECT_EQ(match_package(make("PyPI", "Flask-Cors", "4.0.1"), rec)->fix_advice,
            "upgrade Flask-Cors to 5.0.0 or later (pip install 'Flask-Cors>=5.0.0')");
  EXPECT_FALSE(match_package(make("PyPI", "flask-cors", "5.0.0"), rec));
  EXPECT_TRUE(match_package(make("PyPI", "flask-cors", "5.0.0rc1"), rec)); // PEP 440: rc < release
  // A record that spells the name in capitals is normalised as well.
  rec.affected[0].name = "Flask_Cors";
  EXPECT_TRUE(match_package(make("PyPI", "flask-cors", "4.0.1"), rec));
}

TEST(vuln_matcher_pypi, two_intervals_and_git_ranges) {
  // pillow: introduced 0, fixed 2.3.2, introduced 2.5, fixed 2.5.2, plus a
  // GIT range that is ignored.
  osv_record rec = load("PYSEC-2014-10.json");
  auto fixed_for = [&](const char* v) -> std::string {
    auto f = match_package(make("PyPI", "Pillow", v), rec);
    return f ? f->fixed_version : "not affected";
  };
  EXPECT_EQ(fixed_for("2.3.1"), "2.3.2");
  EXPECT_EQ(fixed_for("2.3.2"), "not affected");
  EXPECT_EQ(fixed_for("2.4.0"), "not affected");
  EXPECT_EQ(fixed_for("2.5.0"), "2.5.2");
  EXPECT_EQ(fixed_for("2.5"), "2.5.2");
  EXPECT_EQ(fixed_for("2.5.2"), "not affected");
  EXPECT_EQ(fixed_for("1.0"), "2.3.2");
}

TEST(vuln_matcher_pypi, versions_list_only) {
  osv_record rec = load("PYSEC-2020-96.json"); // pyyaml 5.1 <= v < 5.3.1
  EXPECT_TRUE(match_package(make("PyPI", "PyYAML", "5.3"), rec));
  EXPECT_FALSE(match_package(make("PyPI", "PyYAML", "5.3.1"), rec));
  rec.affected[0].ranges.clear(); // the versions list alone still matches
  EXPECT_TRUE(match_package(make("PyPI", "PyYAML", "5.3"), rec));
  EXPECT_TRUE(match_package(make("PyPI", "PyYAML", "5.3.0"), rec)); // same version in PEP 440
  EXPECT_FALSE(match_package(make("PyPI", "PyYAML", "5.0"), rec));
}

TEST(vuln_matcher_go, stdlib_from_the_binary_go_version) {
  osv_record rec = load("GO-2021-0067.json"); // stdlib 1.16.0-0 <= v < 1.16.1
  auto f = match_package(make("Go", "stdlib", "go1.16"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "1.16.1");
  EXPECT_EQ(f->fix_advice, "rebuild with Go 1.16.1 or later");
  EXPECT_EQ(f->severity, "Unknown"); // no vector, no severity word
  EXPECT_TRUE(match_package(make("Go", "stdlib", "go1.16rc1"), rec));
  EXPECT_FALSE(match_package(make("Go", "stdlib", "go1.16.1"), rec));
  EXPECT_FALSE(match_package(make("Go", "stdlib", "go1.15.8"), rec));
  EXPECT_TRUE(match_package(make("Go", "stdlib", "v1.16.0"), rec));
  // The Go cataloger's spelling: the go version without "go".
  EXPECT_TRUE(match_package(make("Go", "stdlib", "1.16"), rec));
  EXPECT_TRUE(match_package(make("Go", "stdlib", "1.16rc1"), rec));
  EXPECT_FALSE(match_package(make("Go", "stdlib", "1.16.1"), rec));
}

TEST(vuln_matcher_go, module_path_and_pseudo_versions) {
  // golang.org/x/net from a pseudo-version to another.
  osv_record rec = load("GO-2023-1495.json");
  auto f = match_package(make("Go", "golang.org/x/net", "v0.1.0"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "0.1.1-0.20221104162952-702349b0e862");
  EXPECT_TRUE(match_package(make("Go", "golang.org/x/net", "v0.0.0-20220906165146-f3363e06e74c"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.0.0-20220101000000-abcdefabcdef"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.2.0"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.2.0+incompatible"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net/html", "v0.1.0"), rec));
}

TEST(vuln_matcher_go, devel_and_non_semver_versions_never_match) {
  osv_record rec = load("GO-2023-1495.json"); // golang.org/x/net from 0
  // A main module built from a working tree: "(devel)", which would
  // otherwise sort below every version and fall in the range from 0.
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "(devel)"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", ""), rec));
  // A toolchain built from source reports "devel go1.22-abcdef ...".
  osv_record std = load("GO-2021-0067.json");
  EXPECT_FALSE(match_package(make("Go", "stdlib", "devel go1.16-6f1b5c0 Mon Jan 4 2021"), std));
  EXPECT_TRUE(match_package(make("Go", "stdlib", "go1.16"), std));
}

TEST(vuln_matcher_go, pseudo_versions_order_as_semver) {
  osv_record rec = load("GO-2023-1495.json"); // fixed 0.1.1-0.20221104162952-702349b0e862
  // A pseudo-version after v0.1.0 and before the fix's commit, then after it.
  EXPECT_TRUE(match_package(make("Go", "golang.org/x/net", "v0.1.1-0.20221001000000-abcdefabcdef"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.1.1-0.20221104162952-702349b0e862"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.1.1-0.20230101000000-abcdefabcdef"), rec));
  // A pre-release pseudo-version sorts below its release.
  EXPECT_TRUE(match_package(make("Go", "golang.org/x/net", "v0.1.0-rc.1.0.20221001000000-abcdefabcdef"), rec));
  EXPECT_FALSE(match_package(make("Go", "golang.org/x/net", "v0.1.1"), rec));
}

TEST(vuln_matcher_runtime, go_runtime_as_stdlib_and_others_never) {
  // As runtime_cataloger reads a Go installed by hand (/usr/local/go).
  runtime_cataloger c;
  inventory inv;
  c.parse("usr/local/go/VERSION", "go1.16\ntime 2021-02-16T19:19:08Z\n", "sha256:rt", os_info{}, inv);
  ASSERT_EQ(inv.packages.size(), 1u);
  auto f = match_package(inv.packages[0], load("GO-2021-0067.json"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fix_advice, "rebuild with Go 1.16.1 or later");
  EXPECT_EQ(f->layer, "sha256:rt");
  // Node.js, CPython and Java runtimes have no OSV ecosystem: even a
  // record naming them in a language ecosystem does not match.
  for (const char* name : {"node", "python", "java"}) {
    osv_record rec;
    rec.id = "TEST-runtime";
    osv_affected a;
    a.ecosystem = name == std::string{"node"} ? "npm" : name == std::string{"python"} ? "PyPI" : "Maven";
    a.name = name;
    osv_event i0;
    i0.introduced = "0";
    a.ranges.push_back({"ECOSYSTEM", {i0}});
    rec.affected.push_back(a);
    EXPECT_FALSE(match_package(make("runtime", name, "3.11.2"), rec)) << name;
  }
}

// OSV's Packagist order (scanners/versions/packagist_version.hpp): PHP's
// version_compare, not Composer's normalised one.
TEST(vuln_matcher_packagist, osv_ordering_and_branches) {
  // The shape of a GitHub advisory for Packagist, as OSV exports it: two
  // ECOSYSTEM ranges, one from 0.
  osv_record rec;
  rec.id = "GHSA-test-php";
  osv_affected a;
  a.ecosystem = "Packagist";
  a.name = "symfony/http-kernel";
  osv_event i0, f0, i1, f1;
  i0.introduced = "0";
  f0.fixed = "4.4.50";
  i1.introduced = "5.0.0-BETA1";
  f1.fixed = "5.4.20";
  a.ranges.push_back({"ECOSYSTEM", {i0, f0}});
  a.ranges.push_back({"ECOSYSTEM", {i1, f1}});
  rec.affected.push_back(a);
  auto affects = [&](const char* v) { return match_package(make("Packagist", "symfony/http-kernel", v), rec).has_value(); };
  EXPECT_TRUE(affects("4.4.49"));
  EXPECT_TRUE(affects("4.4.50-RC1")); // a release candidate is before its release
  EXPECT_FALSE(affects("4.4.50"));
  EXPECT_FALSE(affects("v4.4.50.0"));
  // "BETA" is no word PHP knows (case counts): below "alpha" for OSV, so
  // 5.0.0-alpha1 is inside the second range (Composer would say outside).
  EXPECT_TRUE(affects("5.0.0-alpha1"));
  EXPECT_TRUE(affects("5.0.0-beta1"));
  EXPECT_TRUE(affects("5.4.19-p1"));
  EXPECT_FALSE(affects("5.4.20"));
  // A numeric branch: "x" is a word, below every number for OSV, so
  // 4.4.x-dev is below 4.4.50 (Composer reads it as the branch's tip, above).
  EXPECT_TRUE(affects("4.3.x-dev"));
  EXPECT_TRUE(affects("4.4.x-dev"));
  EXPECT_FALSE(affects("dev-main"));  // a named branch is in no range
  EXPECT_FALSE(affects("not a version"));
  EXPECT_FALSE(match_package(make("Packagist", "symfony/http-foundation", "4.4.49"), rec));
  auto f = match_package(make("Packagist", "symfony/http-kernel", "5.1.0"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "5.4.20");
  EXPECT_EQ(f->fix_advice, "upgrade symfony/http-kernel to 5.4.20 or later in your build file");
}

TEST(vuln_matcher_alpine, by_origin_and_release) {
  osv_record rec = load("ALPINE-CVE-2016-2105-openssl-v3.7.json"); // fixed 1.0.2h-r0
  package p = make("Alpine:v3.7", "libcrypto1.0", "1.0.2g-r3");
  p.source_name = "openssl"; // the origin
  p.source_version = p.version;
  auto f = match_package(p, rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "1.0.2h-r0");
  EXPECT_EQ(f->fix_advice, "upgrade openssl to 1.0.2h-r0 or later");
  EXPECT_EQ(f->package, "libcrypto1.0");
  p.source_version = p.version = "1.0.2h-r0";
  EXPECT_FALSE(match_package(p, rec));
  p.source_version = p.version = "1.0.2_rc1-r0";
  EXPECT_TRUE(match_package(p, rec));
  p.ecosystem = "Alpine:v3.8"; // another release
  p.source_version = p.version = "1.0.2g-r3";
  EXPECT_FALSE(match_package(p, rec));
}

TEST(vuln_matcher_ubuntu, pro_variants_cover_the_same_release) {
  EXPECT_TRUE(ecosystem_covers("Ubuntu:22.04", "Ubuntu:22.04"));
  EXPECT_TRUE(ecosystem_covers("Ubuntu:22.04:LTS", "Ubuntu:22.04"));
  EXPECT_TRUE(ecosystem_covers("Ubuntu:Pro:22.04", "Ubuntu:22.04"));
  EXPECT_TRUE(ecosystem_covers("Ubuntu:Pro:FIPS-updates:22.04:LTS", "Ubuntu:22.04"));
  EXPECT_FALSE(ecosystem_covers("Ubuntu:Pro:20.04", "Ubuntu:22.04"));
  EXPECT_FALSE(ecosystem_covers("Debian:12", "Ubuntu:22.04"));
  EXPECT_FALSE(ecosystem_covers("Debian:12", "Debian:11"));

  osv_record rec;
  rec.id = "UBUNTU-CVE-2024-0001";
  osv_affected a;
  a.ecosystem = "Ubuntu:Pro:22.04:LTS";
  a.name = "openssl";
  osv_event intro, fix;
  intro.introduced = "0";
  fix.fixed = "3.0.2-0ubuntu1.15+esm1";
  a.ranges.push_back({"ECOSYSTEM", {intro, fix}});
  rec.affected.push_back(a);
  package p = make("Ubuntu:22.04", "libssl3", "3.0.2-0ubuntu1.15");
  p.source_name = "openssl";
  p.source_version = p.version;
  auto f = match_package(p, rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "3.0.2-0ubuntu1.15+esm1");
}

TEST(vuln_matcher_rpm, red_hat_by_source_package) {
  osv_record rec;
  rec.id = "RHSA-2024:0001";
  osv_affected a;
  a.ecosystem = "Red Hat:enterprise_linux:9::appstream";
  a.name = "openssl";
  osv_event intro, fix;
  intro.introduced = "0";
  fix.fixed = "1:3.0.7-27.el9";
  a.ranges.push_back({"ECOSYSTEM", {intro, fix}});
  rec.affected.push_back(a);
  package p = make("Red Hat:enterprise_linux:9::appstream", "openssl-libs", "1:3.0.7-24.el9");
  p.source_name = "openssl";
  p.source_version = p.version;
  EXPECT_TRUE(match_package(p, rec));
  p.source_version = p.version = "1:3.0.7-27.el9";
  EXPECT_FALSE(match_package(p, rec));
  p.source_version = p.version = "3.0.7-28.el9"; // epoch 0 < 1
  EXPECT_TRUE(match_package(p, rec));
  // The rpm cataloger names the bare family: every stream covers it.
  p.ecosystem = "Red Hat";
  EXPECT_TRUE(match_package(p, rec));
  EXPECT_TRUE(ecosystem_covers("SUSE:Linux Enterprise Server 15 SP5", "SUSE"));
  EXPECT_FALSE(ecosystem_covers("Red Hat:enterprise_linux:9::appstream", "Red Hatter"));
  EXPECT_FALSE(ecosystem_covers("Debian:12", "Debian"));
  EXPECT_FALSE(ecosystem_covers("Rocky Linux:9", "Rocky Linux:8"));
}

TEST(vuln_matcher_rpm, red_hat_module_streams) {
  // Named as OSV's converter of Red Hat's CSAF advisories names a package
  // of a module stream: name:stream:version:context:rpm.
  osv_record rec;
  rec.id = "RHSA-2024:0002";
  auto entry = [](std::string name, std::string fixed) {
    osv_affected a;
    a.ecosystem = "Red Hat:enterprise_linux:8::appstream";
    a.name = std::move(name);
    osv_event intro, fix;
    intro.introduced = "0";
    fix.fixed = std::move(fixed);
    a.ranges.push_back({"ECOSYSTEM", {intro, fix}});
    return a;
  };
  rec.affected.push_back(entry("nodejs:18:8090020240104110138:a75119d5:nodejs",
                               "1:18.19.0-1.module+el8.9.0+20800+5f8fb9e6"));
  rec.affected.push_back(entry("nodejs:20:8090020240104110512:a75119d5:nodejs",
                               "1:20.10.0-1.module+el8.9.0+20801+c2a4ec54"));
  EXPECT_EQ(normalized_package_name("Red Hat:enterprise_linux:8::appstream", rec.affected[0].name),
            "nodejs");
  EXPECT_EQ(normalized_package_name("Red Hat", "nodejs"), "nodejs");
  auto nodejs = [](std::string version, std::string module) {
    package p = make("Red Hat", "nodejs", std::move(version));
    p.source_name = "nodejs";
    p.source_version = p.version;
    p.module = std::move(module);
    return p;
  };
  auto f = match_package(nodejs("1:18.18.2-2.module+el8.8.0+20484+7c5e2e3b", "nodejs:18"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "1:18.19.0-1.module+el8.9.0+20800+5f8fb9e6"); // its stream's fix
  EXPECT_FALSE(match_package(nodejs("1:18.19.0-1.module+el8.9.0+20800+5f8fb9e6", "nodejs:18"), rec));
  // Stream 20 is its own line: 20.9 is before its fix, though above 18's.
  f = match_package(nodejs("1:20.9.0-1.module+el8.9.0+20473+c4e3d824", "nodejs:20"), rec);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fixed_version, "1:20.10.0-1.module+el8.9.0+20801+c2a4ec54");
  // A stream the record does not name, or no stream at all: no finding.
  EXPECT_FALSE(match_package(nodejs("1:16.20.2-1.module+el8.8.0+1+1", "nodejs:16"), rec));
  EXPECT_FALSE(match_package(nodejs("1:18.18.2-2.el8", ""), rec));
  // A plain name is for packages built outside any module.
  osv_record plain;
  plain.id = "RHSA-2024:0003";
  plain.affected.push_back(entry("nodejs", "1:18.19.0-1.el8"));
  EXPECT_TRUE(match_package(nodejs("1:18.18.2-2.el8", ""), plain));
  EXPECT_FALSE(match_package(nodejs("1:18.18.2-2.module+el8.8.0+20484+7c5e2e3b", "nodejs:18"), plain));
}

TEST(vuln_matcher_other, maven_crates_rubygems_nuget) {
  auto record = [](std::string eco, std::string name, std::string fixed, std::string type = "ECOSYSTEM") {
    osv_record rec;
    rec.id = "GHSA-test";
    osv_affected a;
    a.ecosystem = std::move(eco);
    a.name = std::move(name);
    osv_event intro, fix;
    intro.introduced = "0";
    fix.fixed = std::move(fixed);
    a.ranges.push_back({std::move(type), {intro, fix}});
    rec.affected.push_back(a);
    return rec;
  };
  auto maven = record("Maven", "org.apache.logging.log4j:log4j-core", "2.15.0");
  EXPECT_TRUE(match_package(make("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"), maven));
  EXPECT_TRUE(match_package(make("Maven", "org.apache.logging.log4j:log4j-core", "2.15.0-rc1"), maven));
  EXPECT_FALSE(match_package(make("Maven", "org.apache.logging.log4j:log4j-core", "2.15.0.Final"), maven));
  EXPECT_FALSE(match_package(make("Maven", "org.apache.logging.log4j:log4j-api", "2.14.1"), maven));
  auto crate = record("crates.io", "smallvec", "1.6.1", "SEMVER");
  EXPECT_TRUE(match_package(make("crates.io", "smallvec", "1.6.0"), crate));
  EXPECT_FALSE(match_package(make("crates.io", "smallvec", "1.6.1"), crate));
  auto gem = record("RubyGems", "nokogiri", "1.13.10");
  EXPECT_TRUE(match_package(make("RubyGems", "nokogiri", "1.13.10.rc1"), gem));
  EXPECT_FALSE(match_package(make("RubyGems", "nokogiri", "1.13.10"), gem));
  EXPECT_EQ(match_package(make("RubyGems", "nokogiri", "1.13.9"), gem)->fix_advice,
            "upgrade nokogiri to 1.13.10 or later (bundle update nokogiri)");
  auto nuget = record("NuGet", "Newtonsoft.Json", "13.0.1");
  EXPECT_TRUE(match_package(make("NuGet", "Newtonsoft.Json", "12.0.3"), nuget));
  EXPECT_FALSE(match_package(make("NuGet", "Newtonsoft.Json", "13.0.1.0"), nuget));
}

TEST(vuln_matcher_other, lowest_fix_above_installed) {
  osv_record rec;
  rec.id = "TEST-2";
  osv_affected a;
  a.ecosystem = "npm";
  a.name = "x";
  auto ev = [](const char* i, const char* f) {
    osv_event a, b;
    a.introduced = i;
    b.fixed = f;
    return std::vector<osv_event>{a, b};
  };
  a.ranges.push_back({"SEMVER", ev("2.0.0", "2.4.1")});
  a.ranges.push_back({"SEMVER", ev("0", "1.9.9")});
  a.ranges.push_back({"SEMVER", ev("2.0.0", "2.3.0")});
  rec.affected.push_back(a);
  EXPECT_EQ(match_package(make("npm", "x", "2.2.0"), rec)->fixed_version, "2.3.0");
  EXPECT_EQ(match_package(make("npm", "x", "1.0.0"), rec)->fixed_version, "1.9.9");
}

} // namespace
} // namespace regscan
