#include "scanners/os/dpkg_cataloger.hpp"

#include <string>
#include <utility>
#include <vector>

namespace regscan {

namespace {

constexpr std::string_view status_file = "var/lib/dpkg/status";
constexpr std::string_view status_dir = "var/lib/dpkg/status.d/";
constexpr std::string_view info_dir = "var/lib/dpkg/info/";
constexpr std::string_view list_suffix = ".list";

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view line) {
  return trim(line).empty();
}

bool is_list_file(std::string_view path) {
  if (!path.starts_with(info_dir) || !path.ends_with(list_suffix))
    return false;
  auto name = path.substr(info_dir.size());
  return name.size() > list_suffix.size() && name.find('/') == std::string_view::npos;
}

// info/<package>[:<arch>].list: one absolute path per line, directories included.
void parse_list(std::string_view path, std::string_view content, inventory& out) {
  auto name = path.substr(info_dir.size());
  name.remove_suffix(list_suffix.size());
  name = name.substr(0, name.find(':'));
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = trim(content.substr(0, nl));
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    while (line.starts_with('/'))
      line.remove_prefix(1);
    if (line.empty() || line == ".")
      continue;
    out.owned_files.push_back(owned_file{std::string(line), std::string(name)});
  }
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

struct stanza {
  std::string package, version, source, architecture, status;
  bool has_status = false;
  size_t first_line = 0;
  std::string problem; // why the stanza is malformed, empty when fine
};

// "want flag status": held packages are installed too.
bool installed(std::string_view status) {
  std::vector<std::string_view> words;
  while (!status.empty()) {
    status = trim(status);
    auto sp = status.find_first_of(" \t");
    words.push_back(status.substr(0, sp));
    status.remove_prefix(sp == std::string_view::npos ? status.size() : sp);
  }
  return words.size() == 3 && (words[0] == "install" || words[0] == "hold") && words[1] == "ok"
         && words[2] == "installed";
}

bool valid_token(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x20)
      return false;
  return true;
}

void finish_stanza(stanza& s, bool from_status_d, std::string_view path, std::string_view layer,
                   const std::string& ecosystem, std::vector<std::string>& not_installed,
                   inventory& out) {
  auto where = std::string(path) + " (stanza at line " + std::to_string(s.first_line) + ")";
  if (!s.problem.empty()) {
    out.notes.push_back("dpkg: skipped malformed stanza in " + where + ": " + s.problem);
    return;
  }
  if (s.has_status ? !installed(s.status) : !from_status_d) {
    // Not installed (removed, config files left), or a status file stanza
    // without Status:. Named together in one note: real status files have many.
    not_installed.push_back(s.package.empty() ? "(no Package)" : s.package);
    return;
  }
  if (!valid_token(s.package) || !valid_token(s.version)) {
    out.notes.push_back("dpkg: skipped malformed stanza in " + where
                        + ": missing or bad Package/Version");
    return;
  }
  package p;
  p.ecosystem = ecosystem;
  p.name = std::move(s.package);
  p.version = std::move(s.version);
  // Source: "name" or "name (version)" when it differs from the binary's.
  // It is a one-line field: the name is its first word, and text after the
  // name and version (a continuation line, say) is noted, not made part of it.
  auto source = trim(s.source);
  auto name_end = source.find_first_of(" \t(");
  p.source_name.assign(source.substr(0, name_end));
  auto rest = name_end == std::string_view::npos ? std::string_view{} : trim(source.substr(name_end));
  p.source_version = p.version;
  if (rest.starts_with('(')) {
    auto close = rest.find(')');
    auto source_version = trim(rest.substr(1, close == std::string_view::npos ? std::string_view::npos
                                                                              : close - 1));
    if (close == std::string_view::npos || source_version.empty()) {
      out.notes.push_back("dpkg: skipped malformed stanza in " + where + ": bad Source field");
      return;
    }
    p.source_version.assign(source_version);
    rest = trim(rest.substr(close + 1));
  }
  if (!rest.empty())
    out.notes.push_back("dpkg: " + where + ": package " + p.name + ": ignored \""
                        + std::string(rest) + "\" after the Source field's name and version");
  if (p.source_name.empty())
    p.source_name = p.name;
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

} // namespace

std::string dpkg_ecosystem(const os_info& os) {
  if (os.id == "debian") {
    auto major = os.version_id.substr(0, os.version_id.find('.'));
    return major.empty() ? "Debian" : "Debian:" + major;
  }
  if (os.id == "ubuntu")
    return "Ubuntu:" + os.version_id;
  if (os.id.empty())
    return "Debian"; // dpkg without an os-release: the family, no release
  return os.id + ":" + os.version_id;
}

bool dpkg_cataloger::wants(std::string_view path) const {
  if (path == status_file)
    return true;
  if (is_list_file(path))
    return true;
  if (!path.starts_with(status_dir))
    return false;
  auto name = path.substr(status_dir.size());
  // Distroless ships "<pkg>.md5sums" beside each stanza file.
  return !name.empty() && name.find('/') == std::string_view::npos && !name.ends_with(".md5sums");
}

void dpkg_cataloger::parse(std::string_view path, std::string_view content,
                           std::string_view layer, const os_info& os, inventory& out) const {
  if (is_list_file(path)) {
    parse_list(path, content, out);
    return;
  }
  bool from_status_d = path.starts_with(status_dir);
  auto ecosystem = dpkg_ecosystem(os);
  stanza current;
  std::vector<std::string> not_installed;
  bool in_stanza = false;
  std::string* last_field = nullptr; // continuation lines extend it
  size_t line_no = 0;
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (is_blank(line)) {
      if (in_stanza)
        finish_stanza(current, from_status_d, path, layer, ecosystem, not_installed, out);
      current = stanza{};
      in_stanza = false;
      last_field = nullptr;
      continue;
    }
    if (!in_stanza) {
      in_stanza = true;
      current.first_line = line_no;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (line_no == current.first_line && current.problem.empty())
        current.problem = "continuation line without a field";
      if (last_field) {
        *last_field += ' ';
        last_field->append(trim(line));
      }
      continue;
    }
    if (line.front() == '#')
      continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      if (current.problem.empty())
        current.problem = "line " + std::to_string(line_no) + " is not a field";
      last_field = nullptr;
      continue;
    }
    auto key = line.substr(0, colon);
    auto value = std::string(trim(line.substr(colon + 1)));
    last_field = nullptr;
    if (iequals(key, "Package"))
      last_field = &(current.package = std::move(value));
    else if (iequals(key, "Version"))
      last_field = &(current.version = std::move(value));
    else if (iequals(key, "Source"))
      last_field = &(current.source = std::move(value));
    else if (iequals(key, "Architecture"))
      last_field = &(current.architecture = std::move(value));
    else if (iequals(key, "Status")) {
      current.has_status = true;
      last_field = &(current.status = std::move(value));
    }
  }
  if (in_stanza)
    finish_stanza(current, from_status_d, path, layer, ecosystem, not_installed, out);
  if (!not_installed.empty()) {
    constexpr size_t max_named = 20;
    std::string names;
    for (size_t i = 0; i < not_installed.size() && i < max_named; ++i)
      names += (i ? ", " : "") + not_installed[i];
    if (not_installed.size() > max_named)
      names += " and " + std::to_string(not_installed.size() - max_named) + " more";
    out.notes.push_back("dpkg: " + std::string(path) + ": " + std::to_string(not_installed.size())
                        + " package(s) not installed (removed, or no Status:), not listed: " + names);
  }
}

void dpkg_cataloger::rebase_os(const os_info& parsed_with, const os_info& final_os,
                               std::vector<package>& packages) const {
  auto before = dpkg_ecosystem(parsed_with);
  auto after = dpkg_ecosystem(final_os);
  for (auto& p : packages)
    if (p.ecosystem == before)
      p.ecosystem = after;
}

} // namespace regscan
