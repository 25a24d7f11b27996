// Differential tests: lockfiles that npm 6/9/10, yarn 1 (Debian's yarnpkg),
// yarn 4 and pnpm 7/8/9 wrote for the same two projects, against each tool's
// own listing of what it installed (scanners/testdata/npm/gen/generate.sh
// made both; this test reads only the committed files).
//
// The rule checked: every package the tool lists is either in regscan's
// inventory with the same name and version, or named in a note (the
// project's own code, a dependency whose version the lockfile does not
// give); regscan lists nothing the tool does not.
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

// `npm ls --all --json`: {"dependencies": {name: {"version", "dependencies"}}}.
// pnpm ls --json: the same per project, with "from" naming an alias's package.
void dependency_tree(dom::element node, bool pnpm, set& out) {
  dom::object deps;
  for (auto key : {"dependencies", "devDependencies", "optionalDependencies"}) {
    if (node[key].get_object().get(deps) != simdjson::SUCCESS)
      continue;
    for (auto [name, child] : deps) {
      auto from = pnpm ? str(child, "from") : std::string_view{};
      std::string real = !from.empty() ? std::string(from) : real_name(std::string(name));
      auto version = str(child, "version");
      if (!version.empty())
        out.insert(real + "@" + std::string(version));
      dependency_tree(child, pnpm, out);
    }
  }
}

// `yarn list --json` (yarn 1): trees of {"name": "pkg@version", "children"}.
void yarn1_tree(dom::array trees, set& out) {
  for (auto t : trees) {
    std::string_view name;
    if (t["name"].get_string().get(name) != simdjson::SUCCESS)
      continue;
    bool shadow = false; // a pointer to an entry listed elsewhere, with its range
    if (t["shadow"].get_bool().get(shadow) != simdjson::SUCCESS || !shadow) {
      auto at = name.find('@', 1);
      out.insert(real_name(std::string(name.substr(0, at))) + std::string(name.substr(at)));
    }
    dom::array children;
    if (t["children"].get_array().get(children) == simdjson::SUCCESS)
      yarn1_tree(children, out);
  }
}

// What the tool said it installed, name@version; versions are as the tool
// wrote them ("link:../a" for pnpm's workspace links).
set tool_listing(const std::string& tool, const std::string& text) {
  set out;
  dom::parser parser;
  if (tool == "berry") { // `yarn info -AR --json`: one object per line
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
      if (at != std::string_view::npos && !version.empty())
        out.insert(std::string(value.substr(0, at)) + "@" + std::string(version));
    }
    return out;
  }
  simdjson::padded_string padded{text};
  dom::element root;
  EXPECT_EQ(parser.parse(padded).get(root), simdjson::SUCCESS) << tool;
  dom::array projects;
  if (tool.starts_with("yarn1")) {
    dom::array trees;
    if (root["data"]["trees"].get_array().get(trees) == simdjson::SUCCESS)
      yarn1_tree(trees, out);
  } else if (root.get_array().get(projects) == simdjson::SUCCESS) { // pnpm
    for (auto p : projects)
      dependency_tree(p, true, out);
  } else {
    dependency_tree(root, false, out);
  }
  return out;
}

struct fixture {
  std::string tool, project, lockfile;
  set noted;  // packages the tool lists that regscan names in a note instead
  set absent = {}; // packages the tool lists that its lockfile does not hold
};

void check(const fixture& f) {
  SCOPED_TRACE(f.tool + "/" + f.project);
  auto dir = testdata("npm/gen/" + f.tool + "/" + f.project);
  auto listing = slurp(dir + "/listing.json");
  ASSERT_FALSE(listing.empty()) << dir;
  set truth = tool_listing(f.tool, listing);
  ASSERT_FALSE(truth.empty());
  for (const auto& item : f.absent)
    EXPECT_EQ(truth.erase(item), 1u) << item;

  npm_cataloger c;
  inventory inv;
  auto path = "app/" + f.lockfile;
  ASSERT_TRUE(c.wants(path));
  c.parse(path, slurp(dir + "/" + f.lockfile), "l", os_info{}, inv);
  set listed = lang_test::names(inv);

  auto named_in_a_note = [&](const std::string& name) {
    for (const auto& n : inv.notes)
      if (n.find(" " + name + " ") != std::string::npos || n.find(" " + name + "@") != std::string::npos)
        return true;
    return false;
  };
  set noted;
  for (const auto& item : truth) {
    if (listed.contains(item))
      continue;
    auto at = item.find('@', 1);
    auto name = item.substr(0, at);
    if (item.substr(at + 1).starts_with("link:")) {
      // pnpm's link to a workspace member: its lockfile names members by
      // folder only ("importers:"), and regscan notes each folder.
      EXPECT_TRUE(named_in_a_note("member")) << item;
      continue;
    }
    EXPECT_TRUE(named_in_a_note(name)) << item << " is neither listed nor noted";
    noted.insert(name);
  }
  EXPECT_EQ(noted, f.noted);
  for (const auto& item : listed)
    EXPECT_TRUE(truth.contains(item)) << item << " is listed by regscan, not by " << f.tool;
  for (const auto& n : inv.notes)
    EXPECT_NE(n.find(path), std::string::npos) << n;
}

// mix: a local folder is the project's own code. npm 6's v1 lock also gives
// no version for the git and tarball dependencies.
const set mix_noted = {"localdir"};
const set ws_noted = {"@ws/a", "@ws/b"};

TEST(npm_lockfiles, npm6_lock_v1) {
  check({"npm6", "mix", "package-lock.json", {"localdir", "gitpkg", "tarpkg"}});
}

TEST(npm_lockfiles, npm9_lock_v2) {
  check({"npm9", "mix", "package-lock.json", mix_noted});
  check({"npm9", "ws", "package-lock.json", ws_noted});
}

TEST(npm_lockfiles, npm10_lock_v3) {
  check({"npm10", "mix", "package-lock.json", mix_noted});
  check({"npm10", "ws", "package-lock.json", ws_noted});
}

TEST(npm_lockfiles, yarn1) {
  check({"yarn1", "mix", "yarn.lock", mix_noted});
  // yarn 1 lists the workspace members but writes none into its lock.
  check({"yarn1", "ws", "yarn.lock", {}, {"@ws/a@0.1.0", "@ws/b@0.2.0"}});
}

TEST(npm_lockfiles, yarn_berry) {
  // yarn 4 lists the root workspace as a package too.
  check({"berry", "mix", "yarn.lock", {"localdir", "mix"}});
  check({"berry", "ws", "yarn.lock", {"@ws/a", "@ws/b", "ws"}});
}

TEST(npm_lockfiles, pnpm7_lock_v5) {
  check({"pnpm7", "mix", "pnpm-lock.yaml", mix_noted});
  check({"pnpm7", "ws", "pnpm-lock.yaml", {}});
}

TEST(npm_lockfiles, pnpm8_lock_v6) {
  check({"pnpm8", "mix", "pnpm-lock.yaml", mix_noted});
  check({"pnpm8", "ws", "pnpm-lock.yaml", {}});
}

TEST(npm_lockfiles, pnpm9_lock_v9) {
  check({"pnpm9", "mix", "pnpm-lock.yaml", mix_noted});
  check({"pnpm9", "ws", "pnpm-lock.yaml", {}});
}

} // namespace
} // namespace regscan
