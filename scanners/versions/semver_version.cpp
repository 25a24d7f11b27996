#include "scanners/versions/semver_version.hpp"

#include <array>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

struct semver {
  std::array<std::string_view, 3> core{"0", "0", "0"};
  std::string_view pre; // without the '-'
  bool valid = false;   // what node-semver would accept
  bool readable = false;
};

bool numeric_id(std::string_view s) {
  return !s.empty() && digit_prefix(s).size() == s.size() && (s.size() == 1 || s[0] != '0');
}

bool ident_chars(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!is_alnum(c) && c != '-')
      return false;
  return true;
}

semver parse(std::string_view s) {
  semver v;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V'))
    s.remove_prefix(1);
  bool valid = true;
  std::string_view build;
  if (auto plus = s.find('+'); plus != std::string_view::npos) {
    build = s.substr(plus + 1);
    s = s.substr(0, plus);
    valid = !build.empty();
    for (size_t start = 0; valid && start <= build.size();) {
      size_t dot = build.find('.', start);
      std::string_view id = build.substr(start, dot == std::string_view::npos ? build.npos : dot - start);
      valid = ident_chars(id);
      start = dot == std::string_view::npos ? build.size() + 1 : dot + 1;
    }
  }
  if (auto hyphen = s.find('-'); hyphen != std::string_view::npos) {
    v.pre = s.substr(hyphen + 1);
    s = s.substr(0, hyphen);
    valid = valid && !v.pre.empty();
    for (size_t start = 0; valid && start <= v.pre.size();) {
      size_t dot = v.pre.find('.', start);
      std::string_view id =
          v.pre.substr(start, dot == std::string_view::npos ? v.pre.npos : dot - start);
      valid = ident_chars(id) && (digit_prefix(id).size() != id.size() || numeric_id(id));
      start = dot == std::string_view::npos ? v.pre.size() + 1 : dot + 1;
    }
  }
  size_t part = 0;
  while (part < 3) {
    std::string_view n = digit_prefix(s);
    if (n.empty())
      break;
    v.core[part++] = n;
    // node-semver refuses numbers above Number.MAX_SAFE_INTEGER.
    valid = valid && numeric_id(n) && n.size() <= 15;
    s.remove_prefix(n.size());
    if (s.empty() || s.front() != '.' || part == 3)
      break;
    s.remove_prefix(1);
  }
  v.readable = part > 0;
  v.valid = valid && part == 3 && s.empty();
  return v;
}

int compare_ids(std::string_view a, std::string_view b) {
  bool an = !a.empty() && digit_prefix(a).size() == a.size();
  bool bn = !b.empty() && digit_prefix(b).size() == b.size();
  if (an && bn)
    return compare_numbers(a, b);
  if (an != bn)
    return an ? -1 : 1;
  return sign(a.compare(b));
}

int compare_parsed(const semver& x, const semver& y) {
  if (x.readable != y.readable)
    return x.readable ? 1 : -1;
  for (size_t i = 0; i < 3; ++i)
    if (int r = compare_numbers(x.core[i], y.core[i]); r != 0)
      return r;
  if (x.pre.empty() != y.pre.empty())
    return x.pre.empty() ? 1 : -1;
  std::string_view a = x.pre, b = y.pre;
  while (!a.empty() || !b.empty()) {
    if (a.empty() || b.empty())
      return a.empty() ? -1 : 1;
    size_t da = a.find('.'), db = b.find('.');
    if (int r = compare_ids(a.substr(0, da), b.substr(0, db)); r != 0)
      return r;
    a = da == std::string_view::npos ? std::string_view{} : a.substr(da + 1);
    b = db == std::string_view::npos ? std::string_view{} : b.substr(db + 1);
    // "1.0.0-a." has an empty last identifier; keep one side non-empty
    // until both are done.
    if (da != std::string_view::npos && a.empty())
      a = "\x01";
    if (db != std::string_view::npos && b.empty())
      b = "\x01";
  }
  return 0;
}

} // namespace

int compare_semver(std::string_view a, std::string_view b) {
  return compare_parsed(parse(a), parse(b));
}

bool valid_semver(std::string_view v) { return parse(v).valid; }

int compare_go_versions(std::string_view a, std::string_view b) { return compare_semver(a, b); }

std::string go_toolchain_semver(std::string_view v) {
  if (!v.starts_with("go"))
    return std::string{v};
  v.remove_prefix(2);
  std::string out;
  int parts = 0;
  while (true) {
    std::string_view n = digit_prefix(v);
    if (n.empty())
      return "go" + std::string{v};
    out.append(n);
    ++parts;
    v.remove_prefix(n.size());
    if (v.empty() || v.front() != '.')
      break;
    out += '.';
    v.remove_prefix(1);
  }
  for (; parts < 3; ++parts)
    out += ".0";
  if (!v.empty()) {
    // "rc2" -> "-rc.2"; "beta1" -> "-beta.1".
    size_t letters = 0;
    while (letters < v.size() && is_alpha(v[letters]))
      ++letters;
    out += '-';
    out.append(v.substr(0, letters));
    if (letters < v.size()) {
      out += '.';
      out.append(v.substr(letters));
    }
  }
  return out;
}

} // namespace regscan
