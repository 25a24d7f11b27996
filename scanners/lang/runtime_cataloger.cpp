#include "scanners/lang/runtime_cataloger.hpp"

#include <string>
#include <utility>

namespace regscan {

namespace {

constexpr uint64_t max_search = uint64_t{256} << 20; // bytes of a binary searched for a version

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// "3.12" from "python3.12", "libpython3.12.so.1.0", "libpython3.12d.so", "python3.12" (a dir).
std::string_view python_series(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix))
    return {};
  auto rest = name.substr(prefix.size());
  size_t i = 0;
  while (i < rest.size() && digit(rest[i]))
    ++i;
  if (i == 0 || i >= rest.size() || rest[i] != '.')
    return {};
  size_t j = i + 1;
  while (j < rest.size() && digit(rest[j]))
    ++j;
  if (j == i + 1)
    return {};
  return rest.substr(0, j);
}

bool python_executable(std::string_view base) {
  auto series = python_series(base, "python");
  return !series.empty() && base.size() == 6 + series.size();
}

bool java_release(std::string_view path) {
  if (basename(path) != "release")
    return false;
  auto dir = dirname(path);
  return dir.find("jdk") != std::string_view::npos || dir.find("jre") != std::string_view::npos
         || dir.find("java") != std::string_view::npos || dir.find("jvm") != std::string_view::npos;
}

bool version_char(char c) {
  return digit(c) || c == '.' || (c >= 'a' && c <= 'z') || c == '+' || c == '-';
}

void add(std::string_view ecosystem, std::string_view name, std::string_view version,
         std::string_view path, std::string_view layer, inventory& out) {
  package p;
  p.ecosystem.assign(ecosystem);
  p.name.assign(name);
  p.version.assign(version);
  p.source_name = p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

void note(std::string_view path, std::string_view what, inventory& out) {
  out.notes.push_back("runtime: " + std::string(path) + ": " + std::string(what));
}

// The NUL-terminated string "<series>.<patch>[suffix]" in a CPython binary
// (PY_VERSION). The linker may merge it into the tail of a longer string
// ("Python-3.12.1"), so a standalone string wins, and a tail is the fallback.
std::string_view python_version_in(std::string_view binary, std::string_view series) {
  binary = binary.substr(0, max_search);
  std::string needle = std::string(series) + '.';
  std::string_view tail;
  for (size_t at = binary.find(needle); at != std::string_view::npos;
       at = binary.find(needle, at + 1)) {
    size_t end = at + needle.size();
    if (end >= binary.size() || !digit(binary[end]))
      continue;
    char before = at > 0 ? binary[at - 1] : '\0';
    if (digit(before) || before == '.')
      continue;
    while (end < binary.size() && version_char(binary[end]) && end - at < 32)
      ++end;
    if (end >= binary.size() || binary[end] != '\0')
      continue;
    if (before == '\0')
      return binary.substr(at, end - at);
    if (tail.empty() && (before == '-' || before == ' ' || before == 'v'))
      tail = binary.substr(at, end - at);
  }
  return tail;
}

// Node's process.release URLs: ".../download/release/v20.11.1/...".
std::string_view node_version_in(std::string_view binary) {
  binary = binary.substr(0, max_search);
  constexpr std::string_view needle = "/download/release/v";
  for (size_t at = binary.find(needle); at != std::string_view::npos;
       at = binary.find(needle, at + 1)) {
    size_t start = at + needle.size(), end = start;
    while (end < binary.size() && (digit(binary[end]) || binary[end] == '.') && end - start < 32)
      ++end;
    if (end > start && end < binary.size() && binary[end] == '/')
      return binary.substr(start, end - start);
  }
  return {};
}

// KEY="value" lines (a JDK's release file).
std::string_view quoted_value(std::string_view content, std::string_view key) {
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != '=')
      continue;
    auto value = line.substr(key.size() + 1);
    if (!value.empty() && value.back() == '\r')
      value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

} // namespace

bool runtime_cataloger::wants(std::string_view path) const {
  auto base = basename(path);
  if (base == "VERSION")
    return basename(dirname(path)) == "go";
  if (base == "patchlevel.h")
    return !python_series(basename(dirname(path)), "python").empty();
  if (base.starts_with("libpython"))
    return !python_series(base, "libpython").empty() && base.find(".so") != std::string_view::npos;
  return java_release(path);
}

bool runtime_cataloger::wants_executable(std::string_view path, uint32_t mode, uint64_t) const {
  auto base = basename(path);
  return (mode & 0111) != 0 && (base == "node" || base == "nodejs" || python_executable(base));
}

void runtime_cataloger::parse(std::string_view path, std::string_view content,
                              std::string_view layer, const os_info&, inventory& out) const {
  auto base = basename(path);
  if (base == "VERSION") {
    auto line = content.substr(0, content.find('\n'));
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.starts_with("go") || line.size() < 3 || !digit(line[2]))
      return note(path, "not a Go VERSION file", out);
    return add("Go", "stdlib", line.substr(2), path, layer, out);
  }
  if (base == "node" || base == "nodejs") {
    auto version = node_version_in(content);
    if (version.empty())
      return note(path, "no Node.js version found in the binary", out);
    return add("runtime", "node", version, path, layer, out);
  }
  if (base == "patchlevel.h") {
    constexpr std::string_view key = "#define PY_VERSION";
    auto at = content.find(key);
    if (at == std::string_view::npos)
      return note(path, "no PY_VERSION", out);
    auto rest = content.substr(at + key.size());
    auto open = rest.find('"');
    auto close = open == std::string_view::npos ? open : rest.find('"', open + 1);
    if (close == std::string_view::npos || close - open > 40)
      return note(path, "bad PY_VERSION", out);
    return add("runtime", "python", rest.substr(open + 1, close - open - 1), path, layer, out);
  }
  auto series = base.starts_with("libpython") ? python_series(base, "libpython")
                                              : python_series(base, "python");
  if (!series.empty()) {
    auto version = python_version_in(content, series);
    if (version.empty() && base.starts_with("python"))
      return; // a small launcher linked against libpython, which holds the version
    if (version.empty())
      return note(path, "no Python version found in the library", out);
    return add("runtime", "python", version, path, layer, out);
  }
  if (java_release(path)) {
    auto version = quoted_value(content, "JAVA_VERSION");
    if (version.empty())
      return note(path, "no JAVA_VERSION", out);
    return add("runtime", "java", version, path, layer, out);
  }
}

} // namespace regscan
