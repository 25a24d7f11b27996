// Differential tests: lockfiles that npm 6/9/10, yarn 1 (Debian's yarnpkg),
// yarn 4 and pnpm 7/8/9 wrote for the same two projects, against each tool's
// own listing of what it installed (scanners/testdata/npm/gen/generate.sh
// made both; this test reads only the committed files).
//
// The rule checked: every package the tool lists, the project's root and
// workspace members and its git, tarball and folder dependencies included,
// is in regscan's inventory with the same name and version; or, when the
// lockfile does not hold that version, listed by name with a kind; or, when
// the lockfile does not hold its name, absent (pnpm names importers by
// folder) and named in a note where the lockfile has a record for it.
// regscan lists nothing the tool does not, and a git dependency's source
// names the commit the tool reports.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

#include "scanners/lang/npm_cataloger.hpp"
#include "tests/scanners/lang_test_util.hpp"

namespace regscan {
namespace {

namespace dom = simdjson::dom;
using lang_test::slurp;
using lang_test::testdata;
using set = std::set<std::string>;

// The tools list an alias under the name the project gave it; regscan, under
// the package's own name (the one advisories use). mix/package.json says:
const std::map<std::string, std::string> aliases = {{"escape-old", "escape-html"}};

std::string real_name(std::string name) {
  auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

std::string_view str(dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS)
    return {};
  return s;
}

struct tool_view {
  set items;                               // name@version
  std::map<std::string, std::string> commits; // a git dependency's name -> its commit
};

// The commit after '#' ("...#<sha>", berry's "...#commit=<sha>").
std::string commit_of(std::string_view url) {
  auto hash = url.rfind('#');
  if (hash == std::string_view::npos)
    return {};
  auto ref = url.substr(hash + 1);
  if (ref.starts_with("commit="))
    ref.remove_prefix(7);
  return std::string(ref.substr(0, ref.find('&')));
}

// `npm ls --all --json`: {"name", "version", "dependencies": {name: {"version",
// "resolved", "dependencies"}}}. pnpm ls --json: the same per project, with
// "from" naming an alias's package.
void dependency_tree(dom::element node, bool pnpm, tool_view& out) {
  dom::object deps;
  for (auto key : {"dependencies", "devDependencies", "optionalDependencies"}) {
    if (node[key].get_object().get(deps) != simdjson::SUCCESS)
      continue;
    for (auto [name, child] : deps) {
      auto from = pnpm ? str(child, "from") : std::string_view{};
      std::string real = !from.empty() ? std::string(from) : real_name(std::string(name));
      auto version = str(child, "version");
      if (!version.empty())
        out.items.insert(real + "@" + std::string(version));
      auto resolved = str(child, "resolved");
      if (resolved.starts_with("git"))
        out.commits[real] = commit_of(resolved);
      dependency_tree(child, pnpm, out);
    }
  }
}

// The project itself, as npm ls and pnpm ls name it at the top.
void project(dom::element node, tool_view& out) {
  auto name = str(node, "name"), version = str(node, "version");
  if (!name.empty())
    out.items.insert(std::string(name) + "@" + std::string(version));
}

// `yarn list --json` (yarn 1): trees of {"name": "pkg@version", "children"}.
void yarn1_tree(dom::array trees, tool_view& out) {
  for (auto t : trees) {
    std::string_view name;
    if (t["name"].get_string().get(name) != simdjson::SUCCESS)
      continue;
    bool shadow = false; // a pointer to an entry listed elsewhere, with its range
    if (t["shadow"].get_bool().get(shadow) != simdjson::SUCCESS || !shadow) {
      auto at = name.find('@', 1);
      out.items.insert(real_name(std::string(name.substr(0, at))) + std::string(name.substr(at)));
    }
    dom::array children;
    if (t["children"].get_array().get(children) == simdjson::SUCCESS)
      yarn1_tree(children, out);
  }
}

// What the tool said it installed, name@version; versions are as the tool
// wrote them ("link:../a" for pnpm's workspace links).
tool_view tool_listing(const std::string& tool, const std::string& text) {
  tool_view out;
  dom::parser parser;
  if (tool == "berry") { // `yarn info -AR --json`: one object per line, workspaces too
    simdjson::padded_string padded{text};
    dom::document_stream docs;
    EXPECT_EQ(parser.parse_many(padded).get(docs), simdjson::SUCCESS);
    for (auto doc : docs) {
      dom::element e;
      if (doc.get(e) != simdjson::SUCCESS)
        continue;
      auto value = str(e, "value");
      auto version = str(e["children"], "Version");
      auto at = value.find('@', 1);
      if (at == std::string_view::npos || version.empty())
        continue;
      std::string name(value.substr(0, at));
      out.items.insert(name + "@" + std::string(version));
      if (value.substr(at + 1).starts_with("git"))
        out.commits[name] = commit_of(value);
    }
    return out;
  }
  simdjson::padded_string padded{text};
  dom::element root;
  EXPECT_EQ(parser.parse(padded).get(root), simdjson::SUCCESS) << tool;
  dom::array projects;
  if (tool.starts_with("yarn1")) { // lists no root
    dom::array trees;
    if (root["data"]["trees"].get_array().get(trees) == simdjson::SUCCESS)
      yarn1_tree(trees, out);
  } else if (root.get_array().get(projects) == simdjson::SUCCESS) { // pnpm: root, members
    for (auto p : projects) {
      project(p, out);
      dependency_tree(p, true, out);
    }
  } else {
    project(root, out);
    dependency_tree(root, false, out);
  }
  return out;
}

struct fixture {
  std::string tool, project, lockfile;
  // Names regscan lists with a kind but not with the tool's version (the
  // lockfile does not hold it: a git commit, or no version at all).
  set unversioned;
  set absent = {}; // name@version the tool lists whose name its lockfile does not hold
};

void check(const fixture& f) {
  SCOPED_TRACE(f.tool + "/" + f.project);
  auto dir = testdata("npm/gen/" + f.tool + "/" + f.project);
  auto listing = slurp(dir + "/listing.json");
  ASSERT_FALSE(listing.empty()) << dir;
  auto tool = tool_listing(f.tool, listing);
  set& truth = tool.items;
  ASSERT_FALSE(truth.empty());
  for (const auto& item : f.absent)
    EXPECT_EQ(truth.erase(item), 1u) << item;

  npm_cataloger c;
  inventory inv;
  auto path = "app/" + f.lockfile;
  ASSERT_TRUE(c.wants(path));
  c.parse(path, slurp(dir + "/" + f.lockfile), "l", os_info{}, inv);
  set listed = lang_test::names(inv);
  std::map<std::string, const package*> with_kind; // name -> a package with a kind
  for (const auto& p : inv.packages)
    if (!p.kind.empty())
      with_kind[p.name] = &p;
  set truth_names;
  for (const auto& item : truth)
    truth_names.insert(item.substr(0, item.find('@', 1)));

  set unversioned;
  for (const auto& item : truth) {
    if (listed.contains(item))
      continue;
    auto name = item.substr(0, item.find('@', 1));
    EXPECT_TRUE(with_kind.contains(name)) << item << " is not listed";
    unversioned.insert(name);
  }
  EXPECT_EQ(unversioned, f.unversioned);
  for (const auto& p : inv.packages) {
    if (p.kind.empty()) {
      EXPECT_TRUE(truth.contains(p.name + "@" + p.version))
        << p.name << "@" << p.version << " is listed by regscan, not by " << f.tool;
    } else {
      EXPECT_TRUE(truth_names.contains(p.name))
        << p.kind << " " << p.name << " is listed by regscan, not by " << f.tool;
    }
  }
  // The git dependency: listed as such, from the commit the tool installed
  // (npm and berry name it; yarn 1 and pnpm ls do not).
  if (f.project == "mix" && (f.tool.starts_with("npm") || f.tool == "berry")) {
    EXPECT_EQ(tool.commits.size(), 1u);
  }
  for (const auto& [name, commit] : tool.commits) {
    ASSERT_TRUE(with_kind.contains(name)) << name;
    EXPECT_EQ(with_kind[name]->kind, "git") << name;
    EXPECT_TRUE(with_kind[name]->source_url.ends_with("#" + commit)) << with_kind[name]->source_url;
  }
  for (const auto& n : inv.notes)
    EXPECT_NE(n.find(path), std::string::npos) << n;
}

// npm 6's v1 lock gives no version for the git (its commit instead),
// tarball and folder dependencies.
TEST(npm_lockfiles, npm6_lock_v1) {
  check({"npm6", "mix", "package-lock.json", {"gitpkg", "tarpkg", "localdir"}});
}

TEST(npm_lockfiles, npm9_lock_v2) {
  check({"npm9", "mix", "package-lock.json", {}});
  check({"npm9", "ws", "package-lock.json", {}});
}

TEST(npm_lockfiles, npm10_lock_v3) {
  check({"npm10", "mix", "package-lock.json", {}});
  check({"npm10", "ws", "package-lock.json", {}});
}

TEST(npm_lockfiles, yarn1) {
  check({"yarn1", "mix", "yarn.lock", {}});
  // yarn 1 lists the workspace members but writes none into its lock.
  check({"yarn1", "ws", "yarn.lock", {}, {"@ws/a@0.1.0", "@ws/b@0.2.0"}});
}

TEST(npm_lockfiles, yarn_berry) {
  // Berry writes 0.0.0-use.local as every workspace's version.
  check({"berry", "mix", "yarn.lock", {"mix"}});
  check({"berry", "ws", "yarn.lock", {"@ws/a", "@ws/b", "ws"}});
}

// pnpm names the root and members by folder; @ws/a is named by @ws/b's link
// to it. pnpm 8 and 9 write no version for a folder dependency.
const set pnpm_mix_absent = {"mix@1.0.0"};
const set pnpm_ws_absent = {"ws@1.0.0", "@ws/b@0.2.0"};

TEST(npm_lockfiles, pnpm7_lock_v5) {
  check({"pnpm7", "mix", "pnpm-lock.yaml", {}, pnpm_mix_absent});
  check({"pnpm7", "ws", "pnpm-lock.yaml", {"@ws/a"}, pnpm_ws_absent});
}

TEST(npm_lockfiles, pnpm8_lock_v6) {
  check({"pnpm8", "mix", "pnpm-lock.yaml", {"localdir"}, pnpm_mix_absent});
  check({"pnpm8", "ws", "pnpm-lock.yaml", {"@ws/a"}, pnpm_ws_absent});
}

TEST(npm_lockfiles, pnpm9_lock_v9) {
  check({"pnpm9", "mix", "pnpm-lock.yaml", {"localdir"}, pnpm_mix_absent});
  check({"pnpm9", "ws", "pnpm-lock.yaml", {"@ws/a"}, pnpm_ws_absent});
}

// Where the lockfile has a record for what it cannot name, a note names it.
TEST(npm_lockfiles, pnpm_unnamed_importers_are_noted) {
  npm_cataloger c;
  inventory inv;
  c.parse("app/pnpm-lock.yaml", slurp(testdata("npm/gen/pnpm9/ws/pnpm-lock.yaml")), "l", os_info{}, inv);
  ASSERT_EQ(inv.notes.size(), 2u);
  EXPECT_NE(inv.notes[0].find("project root (importer \".\")"), std::string::npos) << inv.notes[0];
  EXPECT_NE(inv.notes[1].find("workspace member packages/b"), std::string::npos) << inv.notes[1];
}

} // namespace
} // namespace regscan
