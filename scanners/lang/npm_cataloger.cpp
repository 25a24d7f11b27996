#include "scanners/lang/npm_cataloger.hpp"

#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scanners/lang/yaml_stream.hpp"

namespace regscan {

namespace {

namespace dom = simdjson::dom;
constexpr std::string_view ecosystem = "npm";
// Notes one file may add that name their record; past it they are counted.
constexpr size_t max_notes_per_file = 50;

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

bool inside_node_modules(std::string_view path) {
  return path.starts_with("node_modules/") || path.find("/node_modules/") != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

std::string str(std::string_view s) {
  return std::string(s);
}

// A registry version starts with a digit; "file:", "git+ssh:", ... do not.
bool registry_version(std::string_view v) {
  return !v.empty() && v.front() >= '0' && v.front() <= '9';
}

// Without a "#hash" or berry's "::locator=..." suffix.
bool tarball(std::string_view spec) {
  spec = spec.substr(0, spec.find('#'));
  spec = spec.substr(0, spec.find("::"));
  return spec.ends_with(".tgz") || spec.ends_with(".tar.gz") || spec.ends_with(".tar");
}

// Where a package that is not from the registry comes from, by its spec or
// URL: "git", "tarball", "directory" (the project's own code), or "".
std::string_view origin(std::string_view spec) {
  if (spec.starts_with("git+") || spec.starts_with("git:") || spec.starts_with("github:")
      || spec.starts_with("gitlab:") || spec.starts_with("bitbucket:")
      || spec.find(".git#") != std::string_view::npos || spec.ends_with(".git"))
    return "git";
  if (spec.starts_with("file:") || spec.starts_with("link:") || spec.starts_with("portal:")
      || spec.starts_with("workspace:"))
    return tarball(spec) ? "tarball" : "directory";
  if (spec.starts_with("http:") || spec.starts_with("https:"))
    return "tarball";
  return {};
}

// The notes of one file: each names the file and the record it is about.
class file_notes {
 public:
  file_notes(std::string_view path, inventory& out) : path_(path), out_(out) {}
  file_notes(const file_notes&) = delete;
  file_notes& operator=(const file_notes&) = delete;
  // Adds the count of records that went past the limit.
  ~file_notes() {
    if (dropped_ > 0)
      out_.notes.push_back("npm: " + path_ + ": " + std::to_string(dropped_)
                           + " more records not listed, as above");
  }
  void add(const std::string& what) {
    if (added_++ < max_notes_per_file)
      out_.notes.push_back("npm: " + path_ + ": " + what);
    else
      ++dropped_;
  }

 private:
  std::string path_;
  inventory& out_;
  size_t added_ = 0, dropped_ = 0;
};

// The packages of one file, each name@version once (per kind): pnpm lists
// a package once per set of peers, npm once per node_modules folder.
class listing {
 public:
  listing(std::string_view path, std::string_view layer, inventory& out)
      : path_(path), layer_(layer), out_(out) {}
  void add(std::string_view name, std::string_view version, std::string_view kind = {},
           std::string_view source_url = {}) {
    if (!seen_.insert(str(kind) + " " + str(name) + "@" + str(version)).second)
      return;
    package p;
    p.ecosystem = ecosystem;
    p.name.assign(name);
    p.version.assign(version);
    p.source_name = p.name;
    p.source_version = p.version;
    p.file.assign(path_);
    p.layer.assign(layer_);
    p.kind.assign(kind);
    p.source_url.assign(source_url);
    out_.packages.push_back(std::move(p));
  }

 private:
  std::string_view path_, layer_;
  inventory& out_;
  std::set<std::string> seen_;
};

// The commit a git source names: "...#<sha>" (npm, yarn 1, pnpm) or
// "...#commit=<sha>" (berry); "" for a branch or tag.
std::string_view git_commit(std::string_view source) {
  source = source.substr(0, source.find("::"));
  auto hash = source.rfind('#');
  if (hash == std::string_view::npos)
    return {};
  auto ref = source.substr(hash + 1);
  if (ref.starts_with("commit="))
    ref.remove_prefix(7);
  ref = ref.substr(0, ref.find('&'));
  if (ref.size() < 7 || ref.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return {};
  return ref;
}

// The source as the package's source_url: without berry's "::hash=...&locator=..."
// and, but for a git commit, without the "#..." (a checksum or a path).
std::string source_url(std::string_view kind, std::string_view source) {
  source = source.substr(0, source.find("::"));
  if (kind != "git")
    return str(source.substr(0, source.find('#')));
  auto commit = git_commit(source);
  if (commit.empty())
    return str(source);
  return str(source.substr(0, source.rfind('#'))) + "#" + str(commit);
}

// Lists a dependency that is not from the registry, with its kind and
// source: git, tarball and file: dependencies carry their package.json's
// version when the lockfile has it; else a git one has its commit, the
// others no version.
void add_sourced(std::string_view name, std::string_view version, std::string_view source,
                 listing& list, file_notes& notes) {
  auto kind = origin(source);
  if (name.empty()) {
    notes.add(str(kind.empty() ? "dependency" : kind) + " dependency from " + str(source)
              + " has no name; not listed");
    return;
  }
  if (!registry_version(version))
    version = kind == "git" ? git_commit(source) : std::string_view{};
  list.add(name, version, kind, source_url(kind, source));
}

// A lockfile's project and its workspace members, with the version their
// package.json gives when the lockfile has it.
void add_project(std::string_view name, std::string_view version, std::string_view folder,
                 listing& list, file_notes& notes) {
  bool root = folder.empty() || folder == ".";
  if (name.empty()) {
    notes.add(root ? std::string("project root: no name in the lock file; not listed")
                   : "workspace member " + str(folder) + ": no name in the lock file; not listed");
    return;
  }
  list.add(name, version, root ? "root" : "workspace", root ? "" : folder);
}

bool parse_json(std::string_view content, dom::parser& parser, dom::object& root,
                file_notes& notes) {
  simdjson::padded_string padded{content};
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    notes.add(std::string("not valid JSON: ") + simdjson::error_message(err));
    return false;
  }
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    notes.add("not a JSON object");
    return false;
  }
  return true;
}

std::string_view str_field(dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s) != simdjson::SUCCESS)
    return {};
  return s;
}

// Lockfile v1: {"dependencies": {name: {"version": v, "dependencies": {...}}}}.
// A git dependency's "version" is its URL with the commit; a tarball's or a
// file:'s, its URL or path. simdjson caps the nesting depth, which bounds
// the recursion.
void lock_v1(dom::object deps, listing& list, file_notes& notes) {
  for (auto [key, value] : deps) {
    dom::object entry;
    if (value.get_object().get(entry) != simdjson::SUCCESS) {
      notes.add("dependency " + str(key) + " is not an object");
      continue;
    }
    auto version = str_field(entry, "version");
    std::string_view name = key;
    if (version.starts_with("npm:")) { // an alias: "npm:real-name@1.2.3"
      auto spec = version.substr(4);
      auto at = spec.find('@', 1);
      if (at != std::string_view::npos) {
        name = spec.substr(0, at);
        version = spec.substr(at + 1);
      }
    }
    if (registry_version(version))
      list.add(name, version);
    else if (version.empty())
      notes.add("dependency " + str(key) + " has no version");
    else if (origin(version).empty())
      notes.add("dependency " + str(key) + ": version \"" + str(version) + "\" is not understood");
    else
      add_sourced(name, {}, version, list, notes);
    dom::object nested;
    if (entry.at_key("dependencies").get_object().get(nested) == simdjson::SUCCESS)
      lock_v1(nested, list, notes);
  }
}

// Does `path` match a workspaces glob ("packages/*", "apps/**", "./tools/x")?
// '*' matches within one folder name, "**" across folders.
bool glob_match(std::string_view pattern, std::string_view path) {
  if (pattern.starts_with("./"))
    pattern.remove_prefix(2);
  while (pattern.ends_with('/'))
    pattern.remove_suffix(1);
  size_t p = 0, s = 0;
  while (p < pattern.size()) {
    if (pattern.substr(p).starts_with("**")) {
      auto rest = pattern.substr(p + 2);
      if (rest.starts_with('/'))
        rest.remove_prefix(1);
      for (size_t i = s; i <= path.size(); ++i)
        if ((i == s || path[i - 1] == '/' || rest.empty()) && glob_match(rest, path.substr(i)))
          return true;
      return false;
    }
    if (pattern[p] == '*') {
      for (size_t i = s; i <= path.size(); ++i) {
        if (glob_match(pattern.substr(p + 1), path.substr(i)))
          return true;
        if (i < path.size() && path[i] == '/')
          break;
      }
      return false;
    }
    if (s >= path.size() || pattern[p] != path[s])
      return false;
    ++p, ++s;
  }
  return s == path.size();
}

// The root's "workspaces": a list of globs, or yarn's {"packages": [...]}.
std::vector<std::string_view> workspace_globs(dom::object root_entry) {
  std::vector<std::string_view> out;
  dom::element ws;
  if (root_entry.at_key("workspaces").get(ws) != simdjson::SUCCESS)
    return out;
  dom::array globs;
  if (ws.get_array().get(globs) != simdjson::SUCCESS
      && ws["packages"].get_array().get(globs) != simdjson::SUCCESS)
    return out;
  for (auto g : globs) {
    std::string_view text;
    if (g.get_string().get(text) == simdjson::SUCCESS)
      out.push_back(text);
  }
  return out;
}

// Names some entry's dependencies map to an http(s) URL: the only way a v2
// lock tells a tarball dependency from a registry package, whose "resolved"
// is an http(s) URL too. When unsure, a package stays a registry one, so it
// is matched.
std::set<std::string_view> url_dependencies(dom::object packages) {
  std::set<std::string_view> out;
  for (auto [key, value] : packages)
    for (auto section : {"dependencies", "devDependencies", "optionalDependencies"}) {
      dom::object deps;
      if (value[section].get_object().get(deps) != simdjson::SUCCESS)
        continue;
      for (auto [name, spec] : deps) {
        std::string_view text;
        if (spec.get_string().get(text) == simdjson::SUCCESS
            && (text.starts_with("http:") || text.starts_with("https:")))
          out.insert(name);
      }
    }
  return out;
}

// Lockfile v2/v3: {"packages": {"": root, "node_modules/a": {...}, "packages/ws": {...}}}.
// Folders outside node_modules are the root, workspace members (matched by
// the root's "workspaces" globs) and file: folders.
void lock_v2(dom::object packages, listing& list, file_notes& notes) {
  constexpr std::string_view marker = "node_modules/";
  std::set<std::string_view> folders;
  std::vector<std::string_view> globs;
  for (auto [key, value] : packages) {
    if (key.find(marker) == std::string_view::npos)
      folders.insert(key);
    dom::object root_entry;
    if (key.empty() && value.get_object().get(root_entry) == simdjson::SUCCESS)
      globs = workspace_globs(root_entry);
  }
  auto url_deps = url_dependencies(packages);
  for (auto [key, value] : packages) {
    dom::object entry;
    if (value.get_object().get(entry) != simdjson::SUCCESS) {
      notes.add("entry \"" + str(key) + "\" is not an object");
      continue;
    }
    auto version = str_field(entry, "version");
    auto resolved = str_field(entry, "resolved");
    auto at = key.rfind(marker);
    if (at == std::string_view::npos) {
      // npm leaves out a folder's name when it is the folder's own.
      auto name = str_field(entry, "name");
      if (name.empty())
        name = basename(key);
      bool member = false;
      for (auto g : globs)
        member = member || glob_match(g, key);
      if (key.empty() || member)
        add_project(name, version, key, list, notes);
      else if (name.empty())
        notes.add("folder \"" + str(key) + "\" has no name; not listed");
      else
        list.add(name, registry_version(version) ? version : std::string_view{}, "directory", key);
      continue;
    }
    bool link = false;
    if (entry.at_key("link").get_bool().get(link) == simdjson::SUCCESS && link) {
      // A symlink to a folder, listed from that folder's own entry.
      if (!folders.contains(resolved))
        notes.add("link " + str(key) + " to " + str(resolved)
                  + ": the lock file has no entry for that folder; not listed");
      continue;
    }
    auto name = str_field(entry, "name"); // set for aliases
    if (name.empty())
      name = key.substr(at + marker.size());
    auto kind = origin(resolved);
    if (kind == "tarball" && !resolved.starts_with("file:") && !url_deps.contains(name))
      kind = {};
    if (!kind.empty())
      add_sourced(name, version, resolved, list, notes);
    else if (version.empty())
      notes.add("entry " + str(key) + " has no version");
    else
      list.add(name, version);
  }
}

void package_lock(std::string_view content, listing& list, file_notes& notes) {
  dom::parser parser;
  dom::object root;
  if (!parse_json(content, parser, root, notes))
    return;
  dom::object section;
  if (root.at_key("packages").get_object().get(section) == simdjson::SUCCESS)
    lock_v2(section, list, notes);
  else if (root.at_key("dependencies").get_object().get(section) == simdjson::SUCCESS) {
    add_project(str_field(root, "name"), str_field(root, "version"), {}, list, notes);
    lock_v1(section, list, notes);
  }
}

// An installed package's own package.json. npm up to 6 wrote where it came
// from into it ("_resolved"); a git or file: source is kept. An http(s)
// "_resolved" is taken as the registry's, as most are.
void package_json(std::string_view content, listing& list, file_notes& notes) {
  dom::parser parser;
  dom::object root;
  if (!parse_json(content, parser, root, notes))
    return;
  auto name = str_field(root, "name"), version = str_field(root, "version");
  auto resolved = str_field(root, "_resolved");
  if (name.empty() || version.empty())
    notes.add("no name or no version; not listed");
  else if (origin(resolved) == "git" || resolved.starts_with("file:"))
    add_sourced(name, version, resolved, list, notes);
  else
    list.add(name, version);
}

// yarn.lock, classic (v1): yarn's own syntax, not YAML. Each entry is
//   "a@^1", a@^1.2:          one or more specifiers, each quoted or not
//     version "1.2.3"        fields "name value" in any order, names
//     resolved "url#sha"     quoted or not
//     dependencies:          nested blocks, indented further
//       b "^2"
// A git, tarball or file: specifier ("a@git+https://...") gives the source;
// `version` is the package.json's.

// Splits `line` into its first token (quoted or bare) and the rest.
std::pair<std::string_view, std::string_view> first_token(std::string_view line) {
  line = trim(line);
  if (line.starts_with('"')) {
    size_t i = 1;
    while (i < line.size() && line[i] != '"')
      i += line[i] == '\\' ? 2 : 1;
    if (i >= line.size())
      return {line.substr(1), {}};
    return {line.substr(1, i - 1), trim(line.substr(i + 1))};
  }
  auto end = line.find_first_of(" \t");
  if (end == std::string_view::npos)
    return {line, {}};
  return {line.substr(0, end), trim(line.substr(end))};
}

// The specifiers of an entry's key line, without the trailing ':'.
std::vector<std::string_view> yarn_specifiers(std::string_view key) {
  std::vector<std::string_view> specs;
  while (!(key = trim(key)).empty()) {
    std::string_view spec;
    if (key.front() == '"') {
      auto [token, rest] = first_token(key);
      spec = token;
      key = rest;
    } else {
      auto comma = key.find(',');
      spec = trim(key.substr(0, comma));
      key = comma == std::string_view::npos ? std::string_view{} : key.substr(comma);
    }
    if (!spec.empty())
      specs.push_back(spec);
    if (key.starts_with(','))
      key.remove_prefix(1);
  }
  return specs;
}

// "name@range" -> {name, range}; an alias "a@npm:real@^1" -> {real, ^1}.
std::pair<std::string_view, std::string_view> split_spec(std::string_view spec) {
  auto at = spec.find('@', 1);
  if (at == std::string_view::npos)
    return {spec, {}};
  auto name = spec.substr(0, at), range = spec.substr(at + 1);
  if (range.starts_with("npm:")) {
    auto real = range.substr(4);
    auto real_at = real.find('@', 1);
    if (real_at == std::string_view::npos)
      return {real, {}};
    return {real.substr(0, real_at), real.substr(real_at + 1)};
  }
  return {name, range};
}

struct yarn_entry {
  std::string_view key, version, resolved;
  size_t line = 0;
};

void finish_yarn_v1(const yarn_entry& e, listing& list, file_notes& notes) {
  auto specs = yarn_specifiers(e.key);
  auto where = "entry at line " + std::to_string(e.line) + " (" + str(e.key) + ")";
  if (specs.empty()) {
    notes.add(where + " has no specifier");
    return;
  }
  auto [name, range] = split_spec(specs.front());
  if (name.empty() || range.empty()) {
    notes.add(where + ": specifier without a name and range");
    return;
  }
  if (e.version.empty()) {
    notes.add(where + " has no version");
    return;
  }
  // A git source as resolved (with the commit), else as the specifier says.
  if (origin(e.resolved) == "git")
    add_sourced(name, e.version, e.resolved, list, notes);
  else if (!origin(range).empty())
    add_sourced(name, e.version, range, list, notes);
  else
    list.add(name, e.version);
}

void yarn_v1_lock(std::string_view content, listing& list, file_notes& notes) {
  yarn_entry current;
  size_t line_no = 0;
  bool in_entry = false;
  auto finish = [&] {
    if (in_entry)
      finish_yarn_v1(current, list, notes);
    current = {};
    in_entry = false;
  };
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto raw = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    ++line_no;
    size_t indent = 0;
    while (indent < raw.size() && raw[indent] == ' ')
      ++indent;
    auto line = trim(raw.substr(indent));
    if (line.empty() || line.front() == '#')
      continue;
    if (indent == 0) {
      finish();
      if (!line.ends_with(':')) {
        notes.add("line " + std::to_string(line_no) + " (" + str(line.substr(0, 80))
                  + ") is not an entry");
        continue;
      }
      current.key = line.substr(0, line.size() - 1);
      current.line = line_no;
      in_entry = true;
      continue;
    }
    if (!in_entry || indent != 2)
      continue; // nested blocks: dependencies, optionalDependencies, ...
    auto [field, value] = first_token(line);
    value = unquote(value);
    if (field == "version")
      current.version = value;
    else if (field == "resolved")
      current.resolved = value;
  }
  finish();
}

using yaml_path = std::vector<std::string>;

// yarn berry (v2+): YAML. Each key of the root mapping but __metadata is an
// entry: `"a@npm:^1, a@npm:^1.2": {version: 1.2.3, resolution: "a@npm:1.2.3"}`.
// The resolution names the package that was installed, also for an alias
// ("old@npm:lodash@^3" resolves to "lodash@npm:3.10.1") and a patch.
class berry_reader final : public yaml_visitor {
 public:
  berry_reader(listing& list, file_notes& notes) : list_(list), notes_(notes) {}

  void scalar(const yaml_path& p, std::string_view value) override {
    if (p.size() == 1 && p[0] != "__metadata")
      notes_.add("entry " + p[0] + " is not a mapping");
    else if (p.size() == 2 && p[0] != "__metadata") {
      if (p[1] == "version")
        version_ = value;
      else if (p[1] == "resolution")
        resolution_ = value;
    }
  }
  void begin(const yaml_path& p) override {
    if (p.size() == 1)
      version_.clear(), resolution_.clear();
  }
  void end(const yaml_path& p) override {
    if (p.size() == 1 && p[0] != "__metadata")
      finish(p[0]);
  }

 private:
  void finish(const std::string& key) {
    std::string_view resolution = resolution_;
    auto at = resolution.find('@', 1);
    if (at == std::string_view::npos) {
      notes_.add("entry " + key + " has no resolution");
      return;
    }
    auto name = resolution.substr(0, at);
    auto source = resolution.substr(at + 1);
    // Berry writes this for workspaces, link: and portal: folders: their
    // package.json's version is not in the lock.
    std::string_view version = version_ == "0.0.0-use.local" ? std::string_view{} : version_;
    if (source.starts_with("workspace:")) {
      auto folder = source.substr(10);
      add_project(name, version, folder, list_, notes_);
    } else if (source.starts_with("npm:") || source.starts_with("patch:")) {
      if (version.empty())
        notes_.add("entry " + key + " has no version");
      else
        list_.add(name, version);
    } else if (!origin(source).empty()) { // git, tarball, file:, link:, portal:
      add_sourced(name, version, source, list_, notes_);
    } else {
      notes_.add("entry " + key + ": resolution " + resolution_ + " is not understood; not listed");
    }
  }

  listing& list_;
  file_notes& notes_;
  std::string version_, resolution_;
};

// pnpm-lock.yaml. The keys of "packages:" (and v9's "snapshots:") are
// dependency paths, one form per lockfile version:
//   v5.x  /name/1.0.0  /@scope/name/1.0.0_peer@1.0.0+other@2.0.0
//         registry.example.org/name/1.0.0 (a registry other than the default)
//   v6    /name@1.0.0(peer@1.0.0)  /@scope/name@1.0.0
//   v9    name@1.0.0  @scope/name@1.0.0; snapshots: name@1.0.0(peer@1.0.0)
// and for git and tarball dependencies a URL or host path, whose entry has
// `name:` and `version:` fields ("github.com/u/repo/<sha>",
// "name@https://codeload.github.com/...", "name@git+https://...#<sha>").
// "importers:" lists the project's own folders.
struct pnpm_key {
  std::string_view name, version;
};

// "registry.example.org/@scope/name" -> "@scope/name"; "host/name" -> "name".
std::string_view strip_host(std::string_view name) {
  if (name.starts_with('@') && name.find('/') == name.rfind('/'))
    return name;
  if (auto scoped = name.rfind("/@"); scoped != std::string_view::npos)
    return name.substr(scoped + 1);
  if (auto slash = name.rfind('/'); slash != std::string_view::npos)
    return name.substr(slash + 1);
  return name;
}

pnpm_key parse_pnpm_key(std::string_view key, int major) {
  if (major < 6) { // host/name/version_peers, the leading '/' being an empty host
    auto first = key.find('/');
    if (first == std::string_view::npos)
      return {};
    auto rest = key.substr(first + 1);
    auto slash = rest.find('/', rest.starts_with('@') ? rest.find('/') + 1 : 0);
    if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos)
      return {}; // a tarball or git path: the entry's fields say
    auto version = rest.substr(slash + 1);
    return {rest.substr(0, slash), version.substr(0, version.find('_'))};
  }
  if (key.starts_with('/'))
    key.remove_prefix(1);
  key = key.substr(0, key.find('(')); // peers
  // The version starts at the first '@' past the name's scope.
  auto scope_end = key.starts_with('@') ? key.find('/') : 0;
  auto at = key.find('@', scope_end == std::string_view::npos ? 1 : scope_end + 1);
  if (at == std::string_view::npos)
    return {};
  // A host before the name ("registry.example.org/name@1.0.0"), found
  // again from the '@' that ends the name.
  auto name = key.substr(0, at);
  if (name.find('/') != name.rfind('/') || (!name.starts_with('@') && name.find('/') != std::string_view::npos))
    name = strip_host(name);
  return {name, key.substr(at + 1)};
}

class pnpm_reader final : public yaml_visitor {
 public:
  pnpm_reader(listing& list, file_notes& notes) : list_(list), notes_(notes) {}

  void scalar(const yaml_path& p, std::string_view value) override {
    if (p.size() == 1 && p[0] == "lockfileVersion") {
      version_text = value;
      major = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || major > 1000)
          break;
        major = major * 10 + (c - '0');
      }
    } else if (p.size() == 2 && section(p[0])) {
      notes_.add(p[0] + " entry " + p[1] + " is not a mapping");
    } else if (p.size() == 2 && p[0] == "importers") { // an importer without dependencies
      importers_.insert(p[1]);
    } else if (p.size() == 3 && section(p[0])) {
      if (p[2] == "name")
        e_.name = value;
      else if (p[2] == "version")
        e_.version = value;
    } else if (p.size() == 2 && dependencies(p[0])) { // v5 root: name: version
      dependency(".", p[1], value);
    } else if (p.size() == 3 && dependencies(p[0]) && p[2] == "version") { // v6 root
      dependency(".", p[1], value);
    } else if (p.size() == 4 && p[0] == "importers" && dependencies(p[2])) { // v5
      dependency(p[1], p[3], value);
    } else if (p.size() == 5 && p[0] == "importers" && dependencies(p[2]) && p[4] == "version") {
      dependency(p[1], p[3], value);
    } else if (p.size() == 4 && section(p[0]) && p[2] == "resolution") {
      if (p[3] == "tarball" || p[3] == "repo" || p[3] == "directory")
        e_.source = value;
      else if (p[3] == "type")
        e_.type = value;
      else if (p[3] == "commit")
        e_.commit = value;
    }
  }
  void begin(const yaml_path& p) override {
    if (p.size() == 2 && section(p[0]))
      e_ = {};
    else if (p.size() == 2 && p[0] == "importers")
      importers_.insert(p[1]);
    else if (p.size() == 1 && dependencies(p[0])) // v5/v6 without workspaces
      importers_.insert(".");
  }
  void end(const yaml_path& p) override {
    if (p.size() == 2 && p[0] == "packages")
      finish_package(p[1]);
    else if (p.size() == 2 && p[0] == "snapshots")
      finish_snapshot(p[1]);
  }

  // After the whole file: each importer (the root ".", workspace members)
  // with the name another importer's link gives it, and linked folders
  // that are not importers.
  void finish() {
    for (const auto& folder : importers_) {
      auto it = links_.find(folder);
      if (it != links_.end())
        add_project(it->second, {}, folder, list_, notes_);
      else
        notes_.add((folder == "." ? std::string("project root (importer \".\")")
                                  : "workspace member " + folder)
                   + ": its name is not in the lock file; not listed");
    }
    for (const auto& [folder, name] : links_)
      if (!importers_.contains(folder))
        list_.add(name, {}, "directory", folder);
  }

  int major = 0;
  std::string version_text;

 private:
  static bool section(const std::string& s) { return s == "packages" || s == "snapshots"; }
  static bool dependencies(const std::string& s) {
    return s == "dependencies" || s == "devDependencies" || s == "optionalDependencies";
  }

  void finish_package(const std::string& key) {
    if (major == 0) {
      notes_.add("package " + key + " comes before lockfileVersion; not listed");
      return;
    }
    auto k = parse_pnpm_key(key, major);
    std::string_view name = e_.name.empty() ? k.name : std::string_view(e_.name);
    std::string_view version = e_.version.empty() ? k.version : std::string_view(e_.version);
    if (major >= 9)
      packages_.insert(str(k.name) + "@" + str(k.version));
    if (name.empty()) {
      notes_.add("package " + key + ": no name in its key or fields; not listed");
      return;
    }
    // A key with a registry version is a registry package, also when its
    // resolution names a tarball (one from a second registry does).
    std::string source;
    if (e_.type == "directory")
      source = "file:" + e_.source;
    else if (e_.type == "git")
      source = "git+" + e_.source + (e_.commit.empty() ? "" : "#" + e_.commit);
    else if (!registry_version(k.version)) // v9 "name@file:../x", "name@https://...", v5 "file:x"
      source = !origin(k.version).empty() ? str(k.version) : e_.source;
    if (!source.empty() && !origin(source).empty())
      add_sourced(name, version, source, list_, notes_);
    else if (!source.empty())
      notes_.add("package " + key + ": source " + source + " is not understood; not listed");
    else if (registry_version(version))
      list_.add(name, version);
    else
      notes_.add("package " + key + " has no version; not listed");
  }

  // A dependency of importer `folder` ("." for the root); a "link:" one names
  // the folder it links to, which is how a member's name is known.
  void dependency(const std::string& folder, const std::string& name, std::string_view value) {
    if (!value.starts_with("link:") || name.empty())
      return;
    links_.emplace(join_folder(folder, value.substr(5)), name);
  }

  // "packages/b" + "../a" -> "packages/a"; "." + "x" -> "x".
  static std::string join_folder(std::string_view base, std::string_view rel) {
    std::vector<std::string_view> parts;
    auto push = [&](std::string_view path) {
      while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".")
          continue;
        if (part == ".." && !parts.empty() && parts.back() != "..")
          parts.pop_back();
        else
          parts.push_back(part);
      }
    };
    push(base);
    push(rel);
    std::string out;
    for (auto part : parts)
      out += (out.empty() ? "" : "/") + str(part);
    return out.empty() ? "." : out;
  }


  // v9: a snapshot is a package with its peers; its package must be listed.
  void finish_snapshot(const std::string& key) {
    auto k = parse_pnpm_key(key, major);
    if (!packages_.contains(str(k.name) + "@" + str(k.version)))
      notes_.add("snapshot " + key + " has no entry under packages; not listed");
  }

  struct entry {
    std::string name, version, source, type, commit;
  };
  listing& list_;
  file_notes& notes_;
  entry e_;
  std::set<std::string> packages_;
  std::set<std::string> importers_;
  std::map<std::string, std::string> links_; // folder -> the name a link gives it
};

void read_yaml_lock(std::string_view content, yaml_visitor& reader, file_notes& notes) {
  auto error = read_yaml(content, reader);
  if (!error.empty())
    notes.add("not YAML, read up to " + error);
}

void pnpm_lock(std::string_view content, listing& list, file_notes& notes) {
  pnpm_reader reader(list, notes);
  read_yaml_lock(content, reader, notes);
  reader.finish();
  if (reader.major == 0 && !trim(content).empty())
    notes.add("no lockfileVersion: not a pnpm lock file");
  else if (reader.major >= 10)
    notes.add("lockfileVersion " + reader.version_text + " is newer than 9; read as 9");
}

// Berry writes a __metadata entry first; classic writes no YAML.
bool berry(std::string_view content) {
  return content.starts_with("__metadata:") || content.find("\n__metadata:") != std::string_view::npos;
}

void yarn_lock(std::string_view content, listing& list, file_notes& notes) {
  if (!berry(content)) {
    yarn_v1_lock(content, list, notes);
    return;
  }
  berry_reader reader(list, notes);
  read_yaml_lock(content, reader, notes);
}

// node_modules/<name>/package.json or node_modules/@scope/<name>/package.json.
bool package_manifest(std::string_view path) {
  auto dir = dirname(path);
  if (dir.empty())
    return false;
  auto parent = dirname(dir);
  if (basename(parent).starts_with('@'))
    parent = dirname(parent);
  return basename(parent) == "node_modules";
}

} // namespace

bool npm_cataloger::wants(std::string_view path) const {
  auto base = basename(path);
  if (base == "package.json")
    return package_manifest(path);
  if (base == "package-lock.json" || base == "npm-shrinkwrap.json" || base == "yarn.lock"
      || base == "pnpm-lock.yaml")
    return !inside_node_modules(path);
  return false;
}

void npm_cataloger::parse(std::string_view path, std::string_view content, std::string_view layer,
                          const os_info&, inventory& out) const {
  auto base = basename(path);
  listing list(path, layer, out);
  file_notes notes(path, out);
  if (base == "package.json")
    package_json(content, list, notes);
  else if (base == "yarn.lock")
    yarn_lock(content, list, notes);
  else if (base == "pnpm-lock.yaml")
    pnpm_lock(content, list, notes);
  else
    package_lock(content, list, notes);
}

} // namespace regscan
