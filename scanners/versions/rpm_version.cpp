#include "scanners/versions/rpm_version.hpp"

#include <optional>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

struct evr {
  std::string_view epoch; // "" when absent
  std::string_view version;
  std::optional<std::string_view> release;
};

// librpm's rpmverParse(): the epoch is a leading run of digits ended by
// ':'; the release follows the last '-' after it.
evr parse(std::string_view s) {
  evr out;
  size_t digits = digit_prefix(s).size();
  std::string_view rest = s;
  if (digits < s.size() && s[digits] == ':') {
    out.epoch = s.substr(0, digits);
    if (out.epoch.empty())
      out.epoch = "0";
    rest = s.substr(digits + 1);
  }
  // rpm looks for the last '-' only past the epoch's digits.
  size_t from = out.epoch.empty() ? digits : 0;
  size_t hyphen = rest.rfind('-');
  if (hyphen != std::string_view::npos && hyphen >= from) {
    out.release = rest.substr(hyphen + 1);
    rest = rest.substr(0, hyphen);
  }
  out.version = rest;
  return out;
}

} // namespace

int rpmvercmp(std::string_view a, std::string_view b) {
  if (a == b)
    return 0;
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  auto skip = [&](std::string_view s, size_t& k) {
    while (k < s.size() && !is_alnum(s[k]) && s[k] != '~' && s[k] != '^')
      ++k;
  };
  while (i < a.size() || j < b.size()) {
    skip(a, i);
    skip(b, j);
    char ca = at(a, i), cb = at(b, j);
    if (ca == '~' || cb == '~') {
      if (ca != '~')
        return 1;
      if (cb != '~')
        return -1;
      ++i, ++j;
      continue;
    }
    if (ca == '^' || cb == '^') {
      if (ca == '\0')
        return -1;
      if (cb == '\0')
        return 1;
      if (ca != '^')
        return 1;
      if (cb != '^')
        return -1;
      ++i, ++j;
      continue;
    }
    if (ca == '\0' || cb == '\0')
      break;
    bool numeric = is_digit(ca);
    auto same_kind = [numeric](char c) { return numeric ? is_digit(c) : is_alpha(c); };
    size_t ei = i, ej = j;
    while (ei < a.size() && same_kind(a[ei]))
      ++ei;
    while (ej < b.size() && same_kind(b[ej]))
      ++ej;
    // A number beats letters: b's segment is of the other kind.
    if (ej == j)
      return numeric ? 1 : -1;
    std::string_view sa = a.substr(i, ei - i), sb = b.substr(j, ej - j);
    int r = numeric ? compare_numbers(sa, sb) : sign(sa.compare(sb));
    if (r != 0)
      return r;
    i = ei, j = ej;
  }
  if (i >= a.size() && j >= b.size())
    return 0;
  return i >= a.size() ? -1 : 1;
}

int compare_rpm_versions(std::string_view a, std::string_view b) {
  evr x = parse(a), y = parse(b);
  std::string_view ex = x.epoch.empty() ? "0" : x.epoch;
  std::string_view ey = y.epoch.empty() ? "0" : y.epoch;
  if (int r = rpmvercmp(ex, ey); r != 0)
    return r;
  if (int r = rpmvercmp(x.version, y.version); r != 0)
    return r;
  if (x.release && y.release)
    return rpmvercmp(*x.release, *y.release);
  // librpm's compare_values(): a release beats none.
  return x.release ? 1 : y.release ? -1 : 0;
}

} // namespace regscan
