#include "scanners/lang/python_cataloger.hpp"

#include <utility>

namespace regscan {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

bool site_dir(std::string_view dir) {
  auto base = basename(dir);
  return base == "site-packages" || base == "dist-packages";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

} // namespace

std::string python_normalized_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool in_run = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (!in_run)
        out += '-';
      in_run = true;
      continue;
    }
    in_run = false;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool python_cataloger::wants(std::string_view path) const {
  auto base = basename(path);
  auto dir = dirname(path);
  if (base == "METADATA")
    return dir.ends_with(".dist-info") && site_dir(dirname(dir));
  if (base == "PKG-INFO") {
    if (dir.ends_with(".egg-info"))
      return site_dir(dirname(dir));
    if (basename(dir) == "EGG-INFO") {
      auto egg = dirname(dir);
      return egg.ends_with(".egg") && site_dir(dirname(egg));
    }
    return false;
  }
  return base.ends_with(".egg-info") && site_dir(dir); // distutils writes the file itself
}

void python_cataloger::parse(std::string_view path, std::string_view content,
                             std::string_view layer, const os_info&, inventory& out) const {
  // RFC 822 style headers up to the first blank line; the body is the description.
  std::string_view name, version;
  bool headers = false;
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty())
      break;
    if (line.front() == ' ' || line.front() == '\t')
      continue; // continuation of a header we do not need
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      break; // not a header: stop rather than misread a body
    headers = true;
    auto key = line.substr(0, colon);
    if (name.empty() && iequals(key, "Name"))
      name = trim(line.substr(colon + 1));
    else if (version.empty() && iequals(key, "Version"))
      version = trim(line.substr(colon + 1));
    if (!name.empty() && !version.empty())
      break;
  }
  if (name.empty() || version.empty()) {
    out.notes.push_back("python: " + std::string(path) + ": "
                        + (headers ? "no Name or Version header" : "not a metadata file"));
    return;
  }
  package p;
  p.ecosystem = "PyPI";
  p.name.assign(name);
  p.version.assign(version);
  p.source_name = p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

} // namespace regscan
