#pragma once
// Small text helpers shared by the language and OS package catalogers.
#include <string>
#include <string_view>

#include "scanners/types.hpp"

namespace regscan::util {

inline std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// Pops the next line (without '\n' or a trailing '\r') off `rest`.
inline std::string_view next_line(std::string_view& rest) {
  auto nl = rest.find('\n');
  auto line = rest.substr(0, nl);
  rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

/// The last component of a path.
inline std::string_view base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// A path as the layer walk names files: no leading '/', no "./", no "//".
inline std::string normalize_path(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  while (!p.empty()) {
    auto slash = p.find('/');
    auto part = p.substr(0, slash);
    p.remove_prefix(slash == std::string_view::npos ? p.size() : slash + 1);
    if (part.empty() || part == ".")
      continue;
    if (!out.empty())
      out += '/';
    out.append(part);
  }
  return out;
}

/// Printable, no whitespace: what a package name or version must look like.
inline bool valid_token(std::string_view s, size_t max = 1024) {
  if (s.empty() || s.size() > max)
    return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return false;
  return true;
}

/// "3.19.1" -> "3.19"; "9" -> "9".
inline std::string_view major_minor(std::string_view v) {
  auto dot = v.find('.');
  if (dot == std::string_view::npos)
    return v;
  auto dot2 = v.find('.', dot + 1);
  return v.substr(0, dot2);
}

inline std::string_view major(std::string_view v) {
  return v.substr(0, v.find('.'));
}

/// A language package, which is its own source: name and version as found.
inline package language_package(std::string_view ecosystem, std::string_view name,
                                std::string_view version, std::string_view path,
                                std::string_view layer) {
  package p;
  p.ecosystem.assign(ecosystem);
  p.name.assign(name);
  p.version.assign(version);
  p.source_name = p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  return p;
}

} // namespace regscan::util
