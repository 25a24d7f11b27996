#include "scanners/versions/debian_version.hpp"

#include <cstdint>

namespace regscan {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

struct parts {
  uint64_t epoch = 0;
  std::string_view upstream;
  std::string_view revision;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Mirrors dpkg's parseversion(): epoch up to the first ':', revision after
// the last '-'. A non-numeric epoch counts as 0 (dpkg would refuse it).
parts split(std::string_view v) {
  parts p;
  v = trim(v);
  if (auto colon = v.find(':'); colon != std::string_view::npos) {
    for (char c : v.substr(0, colon)) {
      if (!is_digit(c)) {
        p.epoch = 0;
        break;
      }
      // Saturate instead of overflowing; dpkg rejects epochs > INT_MAX anyway.
      if (p.epoch < (uint64_t{1} << 40))
        p.epoch = p.epoch * 10 + static_cast<uint64_t>(c - '0');
    }
    v.remove_prefix(colon + 1);
  }
  if (auto hyphen = v.rfind('-'); hyphen != std::string_view::npos) {
    p.revision = v.substr(hyphen + 1);
    v = v.substr(0, hyphen);
  }
  p.upstream = v;
  return p;
}

// dpkg's order(): '~' before the end of the string, the end before letters,
// letters before everything else.
int order(char c) {
  if (is_digit(c))
    return 0;
  if (is_alpha(c))
    return static_cast<unsigned char>(c);
  if (c == '~')
    return -1;
  if (c != '\0')
    return static_cast<unsigned char>(c) + 256;
  return 0;
}

// dpkg's verrevcmp(), with '\0' standing for "past the end".
int verrevcmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = order(at(a, i));
      int bc = order(at(b, j));
      if (ac != bc)
        return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0')
      ++i;
    while (at(b, j) == '0')
      ++j;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_diff == 0)
        first_diff = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (is_digit(at(a, i)))
      return 1;
    if (is_digit(at(b, j)))
      return -1;
    if (first_diff != 0)
      return first_diff;
  }
  return 0;
}

} // namespace

int compare_debian_versions(std::string_view a, std::string_view b) {
  parts pa = split(a);
  parts pb = split(b);
  if (pa.epoch != pb.epoch)
    return pa.epoch < pb.epoch ? -1 : 1;
  if (int r = verrevcmp(pa.upstream, pb.upstream); r != 0)
    return r;
  return verrevcmp(pa.revision, pb.revision);
}

bool valid_debian_version(std::string_view v) {
  v = trim(v);
  if (v.empty())
    return false;
  for (char c : v)
    if (is_space(c))
      return false;
  if (auto colon = v.find(':'); colon != std::string_view::npos) {
    std::string_view epoch = v.substr(0, colon);
    if (epoch.empty())
      return false;
    uint64_t n = 0;
    for (char c : epoch) {
      if (!is_digit(c))
        return false;
      n = n * 10 + static_cast<uint64_t>(c - '0');
      if (n > 2147483647) // dpkg caps the epoch at INT_MAX
        return false;
    }
    v.remove_prefix(colon + 1);
  }
  std::string_view revision;
  if (auto hyphen = v.rfind('-'); hyphen != std::string_view::npos) {
    revision = v.substr(hyphen + 1);
    if (revision.empty())
      return false;
    v = v.substr(0, hyphen);
  }
  if (v.empty() || !is_digit(v.front()))
    return false;
  for (char c : v)
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':')
      return false;
  for (char c : revision)
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~')
      return false;
  return true;
}

} // namespace regscan
