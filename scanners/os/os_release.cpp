#include "scanners/os/os_release.hpp"

#include <array>
#include <string>
#include <utility>

namespace regscan {

namespace {

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Shell-like unquoting as os-release(5) asks: "..." with \" \\ \$ \` escapes,
// '...' literal, and backslash escapes outside quotes.
std::string unquote(std::string_view v) {
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        out += c;
    } else if (c == '\\' && i + 1 < v.size()) {
      char next = v[i + 1];
      bool escapable = quote == 0 || next == '"' || next == '\\' || next == '$' || next == '`';
      if (escapable) {
        out += next;
        ++i;
      } else {
        out += c;
      }
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        out += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || v[i - 1] == ' ' || v[i - 1] == '\t')) {
      break; // a trailing comment after an unquoted value
    } else {
      out += c;
    }
  }
  return std::string(trim(out));
}

} // namespace

os_info parse_os_release(std::string_view content) {
  os_info os;
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = trim(content.substr(0, nl));
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (line.empty() || line.front() == '#')
      continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      continue;
    auto key = trim(line.substr(0, eq));
    auto value = unquote(trim(line.substr(eq + 1)));
    if (key == "ID")
      os.id = std::move(value);
    else if (key == "VERSION_ID")
      os.version_id = std::move(value);
    else if (key == "VERSION_CODENAME")
      os.version_codename = std::move(value);
    else if (key == "PRETTY_NAME")
      os.pretty_name = std::move(value);
  }
  return os;
}

os_info parse_debian_version(std::string_view content) {
  os_info os;
  os.id = "debian";
  auto nl = content.find('\n');
  auto line = trim(content.substr(0, nl));
  size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9')
    ++digits;
  if (digits > 0) {
    os.version_id.assign(line.substr(0, digits));
  } else {
    // testing/unstable: "trixie/sid" has no number to give.
    auto slash = line.find('/');
    os.version_codename.assign(line.substr(0, slash));
  }
  os.pretty_name = "Debian GNU/Linux " + std::string(line);
  return os;
}

namespace {

constexpr std::array<std::string_view, 16> os_files = {
  "etc/os-release",      "usr/lib/os-release",     "etc/debian_version", "etc/alpine-release",
  "etc/lsb-release",     "etc/centos-release",     "etc/rocky-release",  "etc/almalinux-release",
  "etc/fedora-release",  "etc/oracle-release",     "etc/system-release", "etc/redhat-release",
  "etc/photon-release",  "etc/SuSE-release",       "etc/SUSE-brand",     "etc/wolfi-release"};

std::string first_line(std::string_view s) {
  return std::string(trim(s.substr(0, s.find('\n'))));
}

// "9.3" from "... release 9.3 (Blue Onyx)"; the token after `word`.
std::string token_after(std::string_view line, std::string_view word) {
  auto at = line.find(word);
  if (at == std::string_view::npos)
    return {};
  auto rest = trim(line.substr(at + word.size()));
  return std::string(rest.substr(0, rest.find_first_of(" \t(")));
}

std::string key_value(std::string_view content, std::string_view key) {
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = trim(content.substr(0, nl));
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    auto eq = line.find('=');
    if (eq != std::string_view::npos && trim(line.substr(0, eq)) == key)
      return unquote(trim(line.substr(eq + 1)));
  }
  return {};
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

} // namespace

os_info parse_release_file(std::string_view content) {
  os_info os;
  auto line = first_line(content);
  // Longest, most specific names first: "Red Hat Enterprise Linux" contains no
  // other, but "CentOS Stream" must not be read as something else.
  static constexpr std::pair<std::string_view, std::string_view> names[] = {
    {"Red Hat Enterprise Linux", "rhel"}, {"CentOS", "centos"},     {"Rocky Linux", "rocky"},
    {"AlmaLinux", "almalinux"},           {"Fedora", "fedora"},     {"Amazon Linux", "amzn"},
    {"Oracle Linux", "ol"},               {"Photon OS", "photon"},
    {"SUSE Linux Enterprise Server", "sles"}, {"openSUSE", "opensuse"}};
  for (auto [name, id] : names) {
    if (line.find(name) == std::string::npos)
      continue;
    os.id = id;
    os.pretty_name = line;
    if (id == "photon") {
      os.version_id = token_after(line, "Photon OS");
    } else if (id == "sles" || id == "opensuse") {
      os.version_id = key_value(content, "VERSION");
      auto patch = key_value(content, "PATCHLEVEL");
      if (!patch.empty() && patch != "0")
        os.version_id += "." + patch;
      if (os.version_id.empty())
        os.version_id = token_after(line, name);
    } else {
      os.version_id = token_after(line, "release");
    }
    auto open = line.find('(');
    auto close = line.find(')', open == std::string::npos ? 0 : open);
    if (open != std::string::npos && close != std::string::npos && id != "sles"
        && id != "opensuse")
      os.version_codename = line.substr(open + 1, close - open - 1);
    return os;
  }
  return os;
}

bool is_os_file(std::string_view path) {
  for (auto f : os_files)
    if (f == path)
      return true;
  return false;
}

os_info detect_os(const file_lookup& lookup) {
  os_info os;
  if (auto f = lookup("etc/os-release"))
    os = parse_os_release(*f);
  if (os.id.empty())
    if (auto f = lookup("usr/lib/os-release"))
      os = parse_os_release(*f);
  auto debian = lookup("etc/debian_version");
  if (!os.id.empty()) {
    // Debian testing/sid has no VERSION_ID: debian_version may have a number.
    if (os.id == "debian" && os.version_id.empty() && debian)
      os.version_id = parse_debian_version(*debian).version_id;
    return os;
  }
  if (auto f = lookup("etc/alpine-release")) {
    os.id = "alpine";
    os.version_id = first_line(*f);
    os.pretty_name = "Alpine Linux v" + os.version_id;
    return os;
  }
  if (auto f = lookup("etc/wolfi-release")) {
    os.id = "wolfi";
    os.version_id = first_line(*f);
    return os;
  }
  if (auto f = lookup("etc/lsb-release")) {
    auto id = lower(key_value(*f, "DISTRIB_ID"));
    if (!id.empty()) {
      os.id = id;
      os.version_id = key_value(*f, "DISTRIB_RELEASE");
      os.version_codename = key_value(*f, "DISTRIB_CODENAME");
      os.pretty_name = key_value(*f, "DISTRIB_DESCRIPTION");
      return os;
    }
  }
  // The specific file first: redhat-release and system-release are often
  // symlinks to it or generic.
  for (auto path : {"etc/centos-release", "etc/rocky-release", "etc/almalinux-release",
                    "etc/fedora-release", "etc/oracle-release", "etc/system-release",
                    "etc/redhat-release", "etc/photon-release", "etc/SuSE-release"}) {
    if (auto f = lookup(path)) {
      auto r = parse_release_file(*f);
      if (!r.id.empty())
        return r;
    }
  }
  if (debian)
    return parse_debian_version(*debian);
  return os;
}

} // namespace regscan
