#include "scanners/lang/npm_cataloger.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

using lang_test::names;
using lang_test::slurp;
using lang_test::testdata;
using set = std::set<std::string>;

// What `npm install` of debug@4.3.4 (with its own ms@2.1.2), ms@2.1.3,
// escape-html, once and @isaacs/string-locale-compare put in node_modules.
const set app_packages = {"@isaacs/string-locale-compare@1.1.0", "debug@4.3.4", "ms@2.1.2",
                          "ms@2.1.3", "escape-html@1.0.3", "once@1.4.0", "wrappy@1.0.2"};
// The same package.json resolved afresh by yarn and pnpm (debug 4.4.3 takes ms ^2.1.3).
const set resolved_packages = {"@isaacs/string-locale-compare@1.1.0", "debug@4.4.3", "ms@2.1.3",
                               "escape-html@1.0.3", "once@1.4.0", "wrappy@1.0.2"};

// name@version of the registry packages (those without a kind).
set registry(const inventory& inv) {
  set s;
  for (const auto& p : inv.packages)
    if (p.kind.empty())
      s.insert(p.name + "@" + p.version);
  return s;
}

// "kind name@version source_url" of the others.
set sourced(const inventory& inv) {
  set s;
  for (const auto& p : inv.packages)
    if (!p.kind.empty())
      s.insert(p.kind + " " + p.name + "@" + p.version + " " + p.source_url);
  return s;
}

inventory parse_file(const std::string& rel, const std::string& as) {
  npm_cataloger c;
  inventory inv;
  EXPECT_TRUE(c.wants(as)) << as;
  c.parse(as, slurp(testdata("npm/" + rel)), "sha256:app", os_info{}, inv);
  return inv;
}

TEST(npm_cataloger, wants) {
  npm_cataloger c;
  EXPECT_TRUE(c.wants("app/package-lock.json"));
  EXPECT_TRUE(c.wants("package-lock.json"));
  EXPECT_TRUE(c.wants("srv/npm-shrinkwrap.json"));
  EXPECT_TRUE(c.wants("app/yarn.lock"));
  EXPECT_TRUE(c.wants("app/pnpm-lock.yaml"));
  EXPECT_TRUE(c.wants("app/node_modules/ms/package.json"));
  EXPECT_TRUE(c.wants("node_modules/ms/package.json"));
  EXPECT_TRUE(c.wants("app/node_modules/@isaacs/x/package.json"));
  EXPECT_TRUE(c.wants("app/node_modules/a/node_modules/b/package.json"));
  EXPECT_TRUE(c.wants("app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"));
  EXPECT_FALSE(c.wants("app/package.json"));                       // the project itself
  EXPECT_FALSE(c.wants("app/node_modules/once/test/package.json")); // a fixture
  EXPECT_FALSE(c.wants("app/node_modules/@babel/runtime/helpers/esm/package.json"));
  EXPECT_FALSE(c.wants("app/node_modules/.package-lock.json"));
  EXPECT_FALSE(c.wants("app/node_modules/x/package-lock.json"));
  EXPECT_FALSE(c.wants("app/node_modules/x/yarn.lock"));
  EXPECT_FALSE(c.wants("app/package.json.bak"));
}

TEST(npm_cataloger, package_lock_v3) {
  auto inv = parse_file("app/package-lock.json", "app/package-lock.json");
  EXPECT_EQ(registry(inv), app_packages);
  EXPECT_EQ(sourced(inv), set{"root lang-npm@1.0.0 "});
  EXPECT_EQ(inv.packages.size(), app_packages.size() + 1);
  EXPECT_TRUE(inv.notes.empty());
  for (const auto& p : inv.packages) {
    EXPECT_EQ(p.ecosystem, "npm");
    EXPECT_EQ(p.file, "app/package-lock.json");
    EXPECT_EQ(p.layer, "sha256:app");
  }
}

TEST(npm_cataloger, package_lock_v2_and_v1) {
  auto v2 = parse_file("lock-v2/package-lock.json", "a/package-lock.json");
  EXPECT_EQ(registry(v2), app_packages);
  EXPECT_EQ(sourced(v2), set{"root lang-npm@1.0.0 "});
  auto v1 = parse_file("lock-v1/package-lock.json", "a/package-lock.json");
  EXPECT_EQ(registry(v1), app_packages); // ms@2.1.2 comes from debug's nested "dependencies"
  EXPECT_EQ(sourced(v1), set{"root lang-npm@1.0.0 "});
  EXPECT_EQ(v1.packages.size(), app_packages.size() + 1);
  EXPECT_TRUE(v1.notes.empty());
}

TEST(npm_cataloger, package_lock_links_workspaces_aliases) {
  npm_cataloger c;
  inventory inv;
  c.parse("w/package-lock.json", R"({"lockfileVersion": 3, "packages": {
      "": {"name": "root", "version": "1.0.0", "workspaces": ["packages/*", "tools/**"]},
      "node_modules/pkg-a": {"resolved": "packages/a", "link": true},
      "packages/a": {"name": "pkg-a", "version": "0.1.0"},
      "tools/deep/c": {"name": "tool-c", "version": "0.3.0"},
      "node_modules/localdir": {"resolved": "localdir", "link": true},
      "localdir": {"name": "localdir", "version": "0.0.1"},
      "node_modules/gone": {"resolved": "../gone", "link": true},
      "node_modules/lodash-old": {"name": "lodash", "version": "3.10.1"},
      "node_modules/@scope/x/node_modules/y": {"version": "2.0.0", "dev": true},
      "node_modules/gitdep": {"version": "1.2.0",
        "resolved": "git+ssh://git@example.org/u/gitdep.git#0123456789abcdef0123456789abcdef01234567"},
      "node_modules/tar": {"version": "0.3.0", "resolved": "file:vendor/tar-0.3.0.tgz"},
      "node_modules/url": {"version": "0.4.0", "resolved": "https://example.org/url-0.4.0.tgz"},
      "node_modules/other-registry": {"version": "0.5.0", "resolved": "http://127.0.0.1:4873/t/o-0.5.0.tgz"},
      "node_modules/noversion": {}
    }})", "l", os_info{}, inv);
  // An http(s) tarball is a registry's unless some entry depends on its URL.
  EXPECT_EQ(registry(inv), (set{"lodash@3.10.1", "y@2.0.0", "url@0.4.0", "other-registry@0.5.0"}));
  EXPECT_EQ(sourced(inv),
            (set{"root root@1.0.0 ", "workspace pkg-a@0.1.0 packages/a",
                 "workspace tool-c@0.3.0 tools/deep/c", "directory localdir@0.0.1 localdir",
                 "git gitdep@1.2.0 git+ssh://git@example.org/u/gitdep.git#0123456789abcdef0123456789abcdef01234567",
                 "tarball tar@0.3.0 file:vendor/tar-0.3.0.tgz"}));
  // The links to folders add nothing; one to a folder the lock lacks, and
  // the entry without a version, are named.
  ASSERT_EQ(inv.notes.size(), 2u) << inv.notes[0];
  EXPECT_NE(inv.notes[0].find("link node_modules/gone to ../gone"), std::string::npos) << inv.notes[0];
  EXPECT_NE(inv.notes[1].find("node_modules/noversion has no version"), std::string::npos)
    << inv.notes[1];

  inventory url_dep;
  c.parse("w/package-lock.json", R"({"lockfileVersion": 3, "packages": {
      "": {"name": "root", "dependencies": {"url": "https://example.org/url-0.4.0.tgz"}},
      "node_modules/url": {"version": "0.4.0", "resolved": "https://example.org/url-0.4.0.tgz"}}})",
          "l", os_info{}, url_dep);
  EXPECT_EQ(sourced(url_dep), (set{"root root@ ", "tarball url@0.4.0 https://example.org/url-0.4.0.tgz"}));

  inventory v1;
  c.parse("w/package-lock.json", R"({"lockfileVersion": 1, "dependencies": {
      "alias": {"version": "npm:lodash@4.17.21"},
      "local": {"version": "file:../local"},
      "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0",
            "dependencies": {"c": {"version": "3.0.0"}}}}}}})", "l", os_info{}, v1);
  EXPECT_EQ(registry(v1), (set{"lodash@4.17.21", "a@1.0.0", "b@2.0.0", "c@3.0.0"}));
  EXPECT_EQ(sourced(v1), (set{"directory local@ file:../local"}));
  ASSERT_EQ(v1.notes.size(), 1u); // the root has no name
  EXPECT_NE(v1.notes[0].find("project root: no name in the lock file"), std::string::npos)
    << v1.notes[0];
}

TEST(npm_cataloger, node_modules_package_json) {
  npm_cataloger c;
  inventory inv;
  auto root = testdata("npm/app");
  lang_test::walk(c, root + "/node_modules", root, inv);
  EXPECT_EQ(names(inv), app_packages); // not the test fixture, not .package-lock.json
  EXPECT_EQ(inv.packages.size(), app_packages.size());
  for (const auto& p : inv.packages)
    if (p.name == "ms" && p.version == "2.1.2") {
      EXPECT_EQ(p.file, "node_modules/debug/node_modules/ms/package.json");
    }
}

// Recursively collects name@version from `npm ls --json` output.
void npm_ls_tree(simdjson::dom::object node, set& out) {
  simdjson::dom::object deps;
  if (node.at_key("dependencies").get_object().get(deps) != simdjson::SUCCESS)
    return;
  for (auto [name, value] : deps) {
    simdjson::dom::object child;
    std::string_view version;
    if (value.get_object().get(child) != simdjson::SUCCESS)
      continue;
    if (child.at_key("version").get_string().get(version) == simdjson::SUCCESS)
      out.insert(std::string(name) + "@" + std::string(version));
    npm_ls_tree(child, out);
  }
}

TEST(npm_cataloger, matches_npm_ls) {
  if (!lang_test::have("npm"))
    GTEST_SKIP() << "npm is not installed (tools/install-deps.sh installs it)";
  auto root = testdata("npm/app");
  std::string json;
  ASSERT_TRUE(lang_test::run("cd '" + root + "' && npm ls --all --json --offline 2>/dev/null", json))
    << json;
  simdjson::dom::parser parser;
  simdjson::padded_string padded{json};
  simdjson::dom::object tree;
  ASSERT_EQ(parser.parse(padded).get_object().get(tree), simdjson::SUCCESS);
  set truth;
  npm_ls_tree(tree, truth);
  ASSERT_FALSE(truth.empty());

  npm_cataloger c;
  inventory from_modules, from_lock;
  lang_test::walk(c, root + "/node_modules", root, from_modules);
  EXPECT_EQ(names(from_modules), truth);
  c.parse("package-lock.json", slurp(root + "/package-lock.json"), "l", os_info{}, from_lock);
  EXPECT_EQ(registry(from_lock), truth); // npm ls lists the root apart
}

// npm up to 6 wrote an installed package's source into its package.json.
TEST(npm_cataloger, node_modules_package_json_source) {
  npm_cataloger c;
  inventory inv;
  c.parse("node_modules/g/package.json", R"({"name": "g", "version": "1.0.0",
      "_resolved": "git+https://example.org/g.git#0123456789abcdef0123456789abcdef01234567"})",
          "l", os_info{}, inv);
  c.parse("node_modules/r/package.json", R"({"name": "r", "version": "2.0.0",
      "_resolved": "https://registry.npmjs.org/r/-/r-2.0.0.tgz"})", "l", os_info{}, inv);
  EXPECT_EQ(registry(inv), set{"r@2.0.0"});
  EXPECT_EQ(sourced(inv),
            set{"git g@1.0.0 git+https://example.org/g.git#0123456789abcdef0123456789abcdef01234567"});
}

TEST(npm_cataloger, yarn_lock_v1_and_berry) {
  auto v1 = parse_file("yarn-v1/yarn.lock", "app/yarn.lock");
  EXPECT_EQ(names(v1), resolved_packages);
  EXPECT_EQ(v1.packages.size(), resolved_packages.size());
  EXPECT_TRUE(v1.notes.empty()); // yarn v1 writes neither the root nor workspaces
  auto berry = parse_file("yarn-berry/yarn.lock", "app/yarn.lock");
  EXPECT_EQ(registry(berry), resolved_packages);
  // Berry writes 0.0.0-use.local for a workspace: its version is unknown.
  EXPECT_EQ(sourced(berry), set{"root lang-npm@ "});
  EXPECT_TRUE(berry.notes.empty());
}

TEST(npm_cataloger, yarn_lock_aliases_and_protocols) {
  npm_cataloger c;
  inventory inv;
  c.parse("yarn.lock",
          "# yarn lockfile v1\n\n"
          "\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n"
          "  dependencies:\n    \"@babel/highlight\" \"^7.12.13\"\n\n"
          "old-lodash@npm:lodash@^3:\n  version \"3.10.1\"\n",
          "l", os_info{}, inv);
  EXPECT_EQ(names(inv), (set{"@babel/code-frame@7.12.13", "lodash@3.10.1"}));
  inventory berry;
  c.parse("yarn.lock",
          "__metadata:\n  version: 6\n\n"
          "\"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>\":\n  version: 1.22.1\n"
          "  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1\"\n\n"
          "\"local@link:./local::locator=app%40workspace%3A.\":\n  version: 0.0.0-use.local\n"
          "  resolution: \"local@link:./local::locator=app%40workspace%3A.\"\n",
          "l", os_info{}, berry);
  EXPECT_EQ(registry(berry), (set{"resolve@1.22.1"}));
  EXPECT_EQ(sourced(berry), (set{"directory local@ link:./local"}));
}

TEST(npm_cataloger, pnpm_lock_v5_v6_v9) {
  for (auto dir : {"pnpm-v5", "pnpm-v6", "pnpm-v9"}) {
    auto inv = parse_file(std::string(dir) + "/pnpm-lock.yaml", "app/pnpm-lock.yaml");
    EXPECT_EQ(registry(inv), resolved_packages) << dir;
    EXPECT_EQ(inv.packages.size(), resolved_packages.size()) << dir;
    // pnpm names the project by its folder only.
    ASSERT_EQ(inv.notes.size(), 1u) << dir;
    EXPECT_NE(inv.notes[0].find("project root (importer \".\"): its name is not in the lock file"),
              std::string::npos)
      << inv.notes[0];
  }
}

TEST(npm_cataloger, pnpm_peer_suffixes_and_tarballs) {
  npm_cataloger c;
  inventory v5, v6, v9;
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: 5.4\n\npackages:\n\n"
          "  /@emotion/react/11.10.5_@types+react@18.0.0:\n    resolution: {integrity: x}\n"
          "  /under_score/1.0.0:\n    dev: false\n"
          "  github.com/user/repo/abcdef:\n    name: from-git\n    version: 2.0.0\n",
          "l", os_info{}, v5);
  EXPECT_EQ(names(v5), (set{"@emotion/react@11.10.5", "under_score@1.0.0", "from-git@2.0.0"}));
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: '6.0'\n\npackages:\n\n"
          "  /@emotion/react@11.10.5(@types/react@18.0.0)(react@18.2.0):\n    dev: false\n"
          "  /foo@1.0.0:\n    dev: true\n",
          "l", os_info{}, v6);
  EXPECT_EQ(names(v6), (set{"@emotion/react@11.10.5", "foo@1.0.0"}));
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: '9.0'\n\npackages:\n\n"
          "  '@emotion/react@11.10.5':\n    resolution: {integrity: x}\n"
          "  foo@https://codeload.github.com/a/b/tar.gz/abc:\n    resolution: {tarball: x}\n"
          "    version: 3.1.0\n\nsnapshots:\n\n"
          "  '@emotion/react@11.10.5(react@18.2.0)': {}\n",
          "l", os_info{}, v9);
  EXPECT_EQ(registry(v9), (set{"@emotion/react@11.10.5"}));
  EXPECT_EQ(sourced(v9), (set{"tarball foo@3.1.0 https://codeload.github.com/a/b/tar.gz/abc"}));
}

// pnpm names importers by folder; a link from another importer names a member.
TEST(npm_cataloger, pnpm_workspaces_by_their_links) {
  npm_cataloger c;
  for (auto [version, dep] : {std::pair{"5.4", "'@ws/a': link:../a\n      other: link:../../other"},
                              std::pair{"'9.0'", "'@ws/a':\n        specifier: workspace:*\n"
                                                 "        version: link:../a\n"
                                                 "      other:\n        specifier: link:../../other\n"
                                                 "        version: link:../../other"}}) {
    inventory inv;
    c.parse("ws/pnpm-lock.yaml",
            std::string("lockfileVersion: ") + version + "\nimporters:\n  .: {}\n  packages/a: {}\n"
                "  packages/b:\n    dependencies:\n      " + dep + "\n",
            "l", os_info{}, inv);
    EXPECT_EQ(sourced(inv), (set{"workspace @ws/a@ packages/a", "directory other@ other"})) << version;
    ASSERT_EQ(inv.notes.size(), 2u) << version;
    EXPECT_NE(inv.notes[0].find("project root (importer \".\")"), std::string::npos) << inv.notes[0];
    EXPECT_NE(inv.notes[1].find("workspace member packages/b: its name is not in the lock file"),
              std::string::npos)
      << inv.notes[1];
  }
}

// Issue 16, defect 1: yarn writes field names quoted when it must, and
// berry's YAML allows quotes anywhere.
TEST(npm_cataloger, yarn_lock_quoted_field_names) {
  npm_cataloger c;
  inventory v1, berry;
  c.parse("yarn.lock",
          "# yarn lockfile v1\n\n\"left-pad@^1.3.0\":\n  \"version\" \"1.3.0\"\n"
          "  \"resolved\" \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz\"\n",
          "l", os_info{}, v1);
  EXPECT_EQ(names(v1), (set{"left-pad@1.3.0"}));
  c.parse("yarn.lock",
          "__metadata:\n  version: 6\n\n\"left-pad@npm:^1.3.0\":\n  \"version\": 1.3.0\n"
          "  \"resolution\": \"left-pad@npm:1.3.0\"\n",
          "l", os_info{}, berry);
  EXPECT_EQ(names(berry), (set{"left-pad@1.3.0"}));
}

// Issue 16, defect 2: pnpm v5 keys of packages from a non-default registry
// start with the registry's host.
TEST(npm_cataloger, pnpm_v5_registry_host_keys) {
  npm_cataloger c;
  inventory inv;
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: 5.4\n\npackages:\n\n"
          "  registry.example.org/foo/1.1.0:\n    resolution: {integrity: x}\n"
          "  example.com/foo/1.3.0_bar@2.0.0:\n    resolution: {integrity: x}\n"
          "  registry.example.org/@scope/baz/2.0.0-rc.1:\n    resolution: {integrity: x}\n",
          "l", os_info{}, inv);
  EXPECT_EQ(names(inv), (set{"foo@1.1.0", "foo@1.3.0", "@scope/baz@2.0.0-rc.1"}));
  EXPECT_TRUE(inv.notes.empty());
}

// Issue 16, defect 3: a v1 lock gives a git dependency only as its URL;
// it must not vanish.
TEST(npm_cataloger, package_lock_v1_git_dependency_not_silent) {
  npm_cataloger c;
  inventory inv;
  c.parse("app/package-lock.json", R"({"lockfileVersion": 1, "dependencies": {
      "gitdep": {"version": "git+https://example.org/a/gitdep.git#0123456789abcdef0123456789abcdef01234567",
                 "from": "git+https://example.org/a/gitdep.git"},
      "ms": {"version": "2.1.3"}}})", "l", os_info{}, inv);
  // Listed with the commit as its version, the URL beside it.
  EXPECT_EQ(registry(inv), (set{"ms@2.1.3"}));
  EXPECT_EQ(sourced(inv), (set{"git gitdep@0123456789abcdef0123456789abcdef01234567 "
                               "git+https://example.org/a/gitdep.git#0123456789abcdef0123456789abcdef01234567"}));
  ASSERT_EQ(inv.notes.size(), 1u); // the root has no name
  EXPECT_NE(inv.notes[0].find("app/package-lock.json"), std::string::npos);
}

// yarn 1 writes keys quoted or not, several specifiers per entry, and reads
// fields in any order.
TEST(npm_cataloger, yarn_v1_forms) {
  npm_cataloger c;
  inventory inv;
  c.parse("yarn.lock",
          "# yarn lockfile v1\n\n\n"
          "ms@2.1.2, \"ms@^2.1.1\", ms@~2.1.0:\n"
          "  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.2.tgz#d09d1f357b443f493382a8eb3ccd183872ae6009\"\n"
          "  integrity sha512-x\n  version \"2.1.2\"\n\n"
          "\"@scope/a@1.0.0-rc.1\":\n  \"integrity\" \"sha512-y\"\n  \"version\" \"1.0.0-rc.1\"\n\n"
          "\"gitpkg@git+https://example.org/u/gitpkg.git#v1.2.0\":\n  version \"1.2.0\"\n"
          "  resolved \"git+https://example.org/u/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a\"\n\n"
          "\"localdir@file:localdir\":\n  version \"0.0.1\"\n\n"
          "no-version@^1:\n  resolved \"x\"\n\n"
          "not an entry\n",
          "l", os_info{}, inv);
  EXPECT_EQ(registry(inv), (set{"ms@2.1.2", "@scope/a@1.0.0-rc.1"}));
  EXPECT_EQ(sourced(inv),
            (set{"git gitpkg@1.2.0 git+https://example.org/u/gitpkg.git#959134967dd651d9ec1f5dcf26dc833b2ed75b4a",
                 "directory localdir@0.0.1 file:localdir"}));
  ASSERT_EQ(inv.notes.size(), 2u);
  EXPECT_NE(inv.notes[0].find("no-version@^1) has no version"), std::string::npos) << inv.notes[0];
  EXPECT_NE(inv.notes[1].find("line 23 (not an entry) is not an entry"), std::string::npos)
    << inv.notes[1];
}

// pnpm key forms that the generated fixtures (npm_lockfiles_test) do not have.
TEST(npm_cataloger, pnpm_key_forms) {
  npm_cataloger c;
  inventory v6, v9;
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: '6.0'\npackages:\n"
          "  registry.example.org/foo@1.1.0:\n    resolution: {integrity: x}\n"
          "  /@scope/name@1.0.0(react@18.2.0)(react-dom@18.2.0):\n    dev: false\n"
          "  github.com/u/repo/abc:\n    resolution: {tarball: https://codeload.github.com/u/repo/tar.gz/abc}\n"
          "    name: repo\n    version: 0.9.0\n"
          "  /nover@file:x:\n    dev: false\n",
          "l", os_info{}, v6);
  EXPECT_EQ(registry(v6), (set{"foo@1.1.0", "@scope/name@1.0.0"}));
  EXPECT_EQ(sourced(v6), (set{"tarball repo@0.9.0 https://codeload.github.com/u/repo/tar.gz/abc",
                              "directory nover@ file:x"}));
  EXPECT_TRUE(v6.notes.empty());
  c.parse("pnpm-lock.yaml",
          "lockfileVersion: '9.0'\npackages:\n"
          "  '@scope/name@1.0.0':\n    resolution: {integrity: x}\n"
          "  gitpkg@git+https://example.org/u/gitpkg.git#abc:\n"
          "    resolution: {commit: abc, repo: 'https://example.org/u/gitpkg.git', type: git}\n"
          "    version: 1.2.0\n"
          "snapshots:\n  '@scope/name@1.0.0(react@18.2.0)': {}\n  orphan@2.0.0: {}\n",
          "l", os_info{}, v9);
  EXPECT_EQ(registry(v9), (set{"@scope/name@1.0.0"}));
  EXPECT_EQ(sourced(v9), (set{"git gitpkg@1.2.0 git+https://example.org/u/gitpkg.git#abc"}));
  ASSERT_EQ(v9.notes.size(), 1u);
  EXPECT_NE(v9.notes[0].find("snapshot orphan@2.0.0 has no entry under packages"), std::string::npos)
    << v9.notes[0];
}

// libyaml streams; the reader stops at a nesting depth and says where.
TEST(npm_cataloger, yaml_nesting_limit_is_a_note) {
  std::string deep = "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    x: ";
  for (int i = 0; i < 200; ++i)
    deep += "[";
  npm_cataloger c;
  inventory inv;
  c.parse("app/pnpm-lock.yaml", deep, "l", os_info{}, inv);
  ASSERT_FALSE(inv.notes.empty());
  EXPECT_NE(inv.notes[0].find("nested deeper than 64"), std::string::npos) << inv.notes[0];
}

TEST(npm_cataloger, malformed_files_become_notes) {
  npm_cataloger c;
  inventory inv;
  for (auto [file, content] : std::initializer_list<std::pair<const char*, const char*>>{
         {"app/package-lock.json", "{\"packages\": {\"node_modules/a\": "},
         {"app/node_modules/x/package.json", "[1, 2]"},
         {"app/pnpm-lock.yaml", "\x01\x02 not yaml\n  - :\n"},
         {"app/yarn.lock", "garbage without entries"},
         {"app/yarn.lock", "__metadata:\n  version: 8\n\"a@npm:1\": [unclosed\n"}}) {
    inventory one;
    c.parse(file, content, "l", os_info{}, one);
    EXPECT_TRUE(one.packages.empty()) << file;
    ASSERT_FALSE(one.notes.empty()) << file;
    EXPECT_NE(one.notes[0].find(file), std::string::npos) << one.notes[0];
  }
  std::string junk;
  for (int i = 0; i < 20000; ++i)
    junk += static_cast<char>((i * 7919) % 256);
  for (auto f : {"package-lock.json", "node_modules/a/package.json", "yarn.lock", "pnpm-lock.yaml"})
    c.parse(f, junk, "l", os_info{}, inv); // never crashes
  c.parse("yarn.lock", "", "l", os_info{}, inv);
  c.parse("pnpm-lock.yaml", "", "l", os_info{}, inv);
}

} // namespace
} // namespace regscan
