#include "scanners/os_release.hpp"

#include <string>

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

} // namespace regscan
