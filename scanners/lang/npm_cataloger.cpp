#include "scanners/lang/npm_cataloger.hpp"

#include <simdjson.h>

#include <string>
#include <utility>

namespace regscan {

namespace {

namespace dom = simdjson::dom;
constexpr std::string_view ecosystem = "npm";

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

void add(std::string_view name, std::string_view version, std::string_view path,
         std::string_view layer, inventory& out) {
  if (name.empty() || version.empty())
    return;
  package p;
  p.ecosystem = ecosystem;
  p.name.assign(name);
  p.version.assign(version);
  p.source_name = p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

void note(std::string_view path, std::string_view what, inventory& out) {
  out.notes.push_back("npm: " + std::string(path) + ": " + std::string(what));
}

// A registry version starts with a digit; "file:", "git+ssh:", ... do not.
bool registry_version(std::string_view v) {
  return !v.empty() && v.front() >= '0' && v.front() <= '9';
}

bool parse_json(std::string_view path, std::string_view content, dom::parser& parser,
                dom::object& root, inventory& out) {
  simdjson::padded_string padded{content};
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    note(path, std::string("not valid JSON: ") + simdjson::error_message(err), out);
    return false;
  }
  if (doc.get_object().get(root) != simdjson::SUCCESS) {
    note(path, "not a JSON object", out);
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
// simdjson caps the nesting depth, which bounds the recursion.
void lock_v1(dom::object deps, std::string_view path, std::string_view layer, inventory& out) {
  for (auto [key, value] : deps) {
    dom::object entry;
    if (value.get_object().get(entry) != simdjson::SUCCESS)
      continue;
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
      add(name, version, path, layer, out);
    else if (!version.empty())
      note(path, "dependency " + std::string(key) + " comes from " + std::string(version)
                   + ": a v1 lock does not say its version; not listed", out);
    dom::object nested;
    if (entry.at_key("dependencies").get_object().get(nested) == simdjson::SUCCESS)
      lock_v1(nested, path, layer, out);
  }
}

void package_lock(std::string_view path, std::string_view content, std::string_view layer,
                  inventory& out) {
  dom::parser parser;
  dom::object root;
  if (!parse_json(path, content, parser, root, out))
    return;
  dom::object packages;
  if (root.at_key("packages").get_object().get(packages) == simdjson::SUCCESS) {
    constexpr std::string_view marker = "node_modules/";
    for (auto [key, value] : packages) {
      dom::object entry;
      if (key.empty() || value.get_object().get(entry) != simdjson::SUCCESS)
        continue; // "" is the project itself
      auto at = key.rfind(marker);
      if (at == std::string_view::npos)
        continue; // a workspace member: the project's own code
      bool link = false;
      if (entry.at_key("link").get_bool().get(link) == simdjson::SUCCESS && link)
        continue; // a symlink to a workspace member or a file: dependency
      auto name = str_field(entry, "name"); // set for aliases
      if (name.empty())
        name = key.substr(at + marker.size());
      add(name, str_field(entry, "version"), path, layer, out);
    }
    return;
  }
  dom::object deps;
  if (root.at_key("dependencies").get_object().get(deps) == simdjson::SUCCESS)
    lock_v1(deps, path, layer, out);
}

void package_json(std::string_view path, std::string_view content, std::string_view layer,
                  inventory& out) {
  dom::parser parser;
  dom::object root;
  if (!parse_json(path, content, parser, root, out))
    return;
  add(str_field(root, "name"), str_field(root, "version"), path, layer, out);
}

// Calls f(line, indent) for each line that is neither blank nor a comment.
template <class F>
void each_line(std::string_view content, F f) {
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ')
      ++indent;
    if (indent == line.size() || line[indent] == '#')
      continue;
    f(line.substr(indent), indent);
  }
}

// "key: value" or "key value" (yarn v1) -> value, when line starts with key.
bool field(std::string_view line, std::string_view key, std::string_view& value) {
  if (line.size() > key.size() + 2 && line.front() == '"' && line.substr(1, key.size()) == key
      && line[key.size() + 1] == '"')
    line = line.substr(key.size() + 2); // a quoted field name
  else if (line.starts_with(key) && line.size() > key.size())
    line = line.substr(key.size());
  else
    return false;
  auto rest = line;
  if (rest.front() == ':')
    rest.remove_prefix(1);
  else if (rest.front() != ' ')
    return false;
  value = unquote(rest);
  return true;
}

// yarn.lock. Classic: `"a@^1", a@^1.2:` then `  version "1.2.3"`.
// Berry: `"a@npm:^1":` then `  version: 1.2.3` and `  resolution: "a@npm:1.2.3"`.
struct yarn_entry {
  std::string_view key, version, resolution;
};

void finish_yarn(const yarn_entry& e, std::string_view path, std::string_view layer,
                 inventory& out) {
  if (e.key.empty() || e.key == "__metadata" || e.version.empty())
    return;
  std::string_view name;
  if (!e.resolution.empty()) {
    auto at = e.resolution.find('@', 1);
    if (at == std::string_view::npos)
      return;
    name = e.resolution.substr(0, at);
    auto protocol = e.resolution.substr(at + 1);
    protocol = protocol.substr(0, protocol.find(':'));
    if (protocol == "workspace" || protocol == "link" || protocol == "portal")
      return; // the project's own code
  } else {
    auto spec = unquote(e.key.substr(0, e.key.find(',')));
    auto at = spec.find('@', 1);
    if (at == std::string_view::npos)
      return;
    name = spec.substr(0, at);
    auto range = spec.substr(at + 1);
    if (range.starts_with("npm:")) { // an alias: a@npm:real@^1
      auto real = range.substr(4);
      auto real_at = real.find('@', 1);
      name = real.substr(0, real_at);
    }
  }
  add(name, e.version, path, layer, out);
}

void yarn_lock(std::string_view path, std::string_view content, std::string_view layer,
               inventory& out) {
  yarn_entry current;
  size_t entries = 0;
  each_line(content, [&](std::string_view line, size_t indent) {
    if (indent == 0) {
      finish_yarn(current, path, layer, out);
      current = {};
      if (line.back() == ':') {
        current.key = line.substr(0, line.size() - 1);
        ++entries;
      }
      return;
    }
    if (indent != 2 || current.key.empty())
      return;
    std::string_view value;
    if (field(line, "version", value))
      current.version = value;
    else if (field(line, "resolution", value))
      current.resolution = value;
  });
  finish_yarn(current, path, layer, out);
  if (entries == 0 && !trim(content).empty())
    note(path, "no yarn.lock entries found", out);
}

// pnpm-lock.yaml: the keys of the top-level "packages:" map.
struct pnpm_entry {
  std::string_view key, name, version;
};

void finish_pnpm(const pnpm_entry& e, int major, std::string_view path, std::string_view layer,
                 inventory& out) {
  if (e.key.empty())
    return;
  std::string_view name, version;
  auto key = e.key;
  // v5 keys of packages from a registry other than the default one start
  // with its host: "registry.example.org/name/1.0.0".
  if (major > 0 && major < 6 && !key.starts_with('/') && key.find('/') != std::string_view::npos)
    key = key.substr(key.find('/'));
  if (key.starts_with('/')) {
    key.remove_prefix(1);
    if (major > 0 && major < 6) { // "/@scope/name/1.0.0_peer"
      auto slash = key.find('/', key.starts_with('@') ? key.find('/') + 1 : 0);
      if (slash != std::string_view::npos && key.find('/') != std::string_view::npos) {
        name = key.substr(0, slash);
        version = key.substr(slash + 1);
      }
    }
  }
  if (name.empty()) { // "name@1.0.0(peer)", v6 with the slash, v9 without
    auto at = key.find('@', 1);
    if (at != std::string_view::npos) {
      name = key.substr(0, at);
      version = key.substr(at + 1);
    }
  }
  version = version.substr(0, version.find_first_of("(_"));
  // Tarball and git dependencies carry their own name and version fields.
  if (!e.name.empty())
    name = e.name;
  if (!e.version.empty())
    version = e.version;
  if (!registry_version(version))
    return;
  add(name, version, path, layer, out);
}

void pnpm_lock(std::string_view path, std::string_view content, std::string_view layer,
               inventory& out) {
  int major = 0;
  bool in_packages = false;
  pnpm_entry current;
  each_line(content, [&](std::string_view line, size_t indent) {
    if (indent == 0) {
      finish_pnpm(current, major, path, layer, out);
      current = {};
      std::string_view value;
      if (field(line, "lockfileVersion", value)) {
        major = 0;
        for (char c : value) {
          if (c < '0' || c > '9')
            break;
          major = major * 10 + (c - '0');
          if (major > 1000)
            break;
        }
      }
      in_packages = trim(line) == "packages:";
      return;
    }
    if (!in_packages)
      return;
    if (indent == 2) {
      finish_pnpm(current, major, path, layer, out);
      current = {};
      // The key ends at the first ':' outside quotes that ends the line or precedes a space.
      std::string_view key;
      if (line.front() == '\'' || line.front() == '"') {
        auto close = line.find(line.front(), 1);
        if (close == std::string_view::npos)
          return;
        key = line.substr(1, close - 1);
      } else {
        auto colon = line.find(": ");
        key = colon == std::string_view::npos ? line : line.substr(0, colon);
        if (key.ends_with(':'))
          key.remove_suffix(1);
      }
      current.key = key;
      return;
    }
    if (indent == 4 && !current.key.empty()) {
      std::string_view value;
      if (field(line, "name", value))
        current.name = value;
      else if (field(line, "version", value))
        current.version = value;
    }
  });
  finish_pnpm(current, major, path, layer, out);
  if (major == 0 && !trim(content).empty())
    note(path, "no lockfileVersion: not a pnpm lock file", out);
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
  if (base == "package.json")
    package_json(path, content, layer, out);
  else if (base == "yarn.lock")
    yarn_lock(path, content, layer, out);
  else if (base == "pnpm-lock.yaml")
    pnpm_lock(path, content, layer, out);
  else
    package_lock(path, content, layer, out);
}

} // namespace regscan
