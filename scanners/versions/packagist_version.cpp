#include "scanners/versions/packagist_version.hpp"

#include <climits>
#include <optional>
#include <utility>

namespace regscan {
namespace {

// ASCII classes, as PCRE and PHP's C library see them in the C locale.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_pcre_space(char c) { // \s
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i]))
      return false;
  return true;
}
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && istarts_with(a, b);
}

// PHP's trim(): " \t\n\r\0\x0B".
std::string_view trim(std::string_view s) {
  auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\v';
  };
  while (!s.empty() && blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && blank(s.back()))
    s.remove_suffix(1);
  return s;
}

// What follows the numbers: [._-]?(?:(stability)((?:[.-]?\d+)*+)?)?([.-]?dev)?$
// (case-insensitive), the pattern VersionParser matches.
struct modifier {
  std::string_view word;    // "beta", "RC", "pl", ... as written; empty when none
  std::string_view numbers; // "1", ".2", "-1.3"
  bool dev = false;
};

// [.-]?dev$ at i, or the end of s.
bool dev_or_end(std::string_view s, size_t i, modifier& m) {
  size_t j = i < s.size() && (s[i] == '.' || s[i] == '-') ? i + 1 : i;
  if (iequals(s.substr(j), "dev")) {
    m.dev = true;
    return true;
  }
  return i == s.size();
}

std::optional<modifier> parse_modifier(std::string_view s) {
  size_t i = !s.empty() && (s[0] == '.' || s[0] == '_' || s[0] == '-') ? 1 : 0;
  // In the pattern's order: a longer word before its own prefix.
  static constexpr std::string_view words[] = {"stable", "beta", "b",     "rc", "alpha",
                                               "a",      "patch", "pl", "p"};
  for (std::string_view w : words) {
    if (!istarts_with(s.substr(i), w))
      continue;
    modifier m;
    m.word = s.substr(i, w.size());
    size_t j = i + w.size();
    // Greedy and possessive: every [.-]?\d+ that follows.
    for (;;) {
      size_t k = j < s.size() && (s[j] == '.' || s[j] == '-') ? j + 1 : j;
      if (k >= s.size() || !is_digit(s[k]))
        break;
      while (k < s.size() && is_digit(s[k]))
        ++k;
      j = k;
    }
    m.numbers = s.substr(i + w.size(), j - i - w.size());
    if (dev_or_end(s, j, m))
      return m;
  }
  modifier m;
  if (dev_or_end(s, i, m))
    return m;
  return std::nullopt;
}

std::string expand_stability(std::string_view word) {
  std::string w;
  for (char c : word)
    w += lower(c);
  if (w == "a")
    return "alpha";
  if (w == "b")
    return "beta";
  if (w == "p" || w == "pl")
    return "patch";
  if (w == "rc")
    return "RC";
  return w;
}

// The version with its modifier, as VersionParser writes it.
std::string with_modifier(std::string version, const modifier& m) {
  if (!m.word.empty()) {
    // Only the lower-case word is dropped: the pattern is case-insensitive,
    // the check after it is not.
    if (m.word == "stable")
      return version;
    std::string_view numbers = m.numbers;
    while (!numbers.empty() && (numbers[0] == '.' || numbers[0] == '-'))
      numbers.remove_prefix(1);
    version += "-" + expand_stability(m.word) + std::string{numbers};
  }
  if (m.dev)
    version += "-dev";
  return version;
}

// ^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)?<modifier>$: four numbers, the
// missing ones 0.
std::optional<std::string> classical(std::string_view s) {
  size_t i = !s.empty() && (s[0] == 'v' || s[0] == 'V') ? 1 : 0;
  size_t start = i;
  while (i < s.size() && is_digit(s[i]))
    ++i;
  // More than five digits leave one the pattern cannot place.
  if (i == start || i - start > 5)
    return std::nullopt;
  std::string version{s.substr(start, i - start)};
  int parts = 1;
  while (parts < 4 && i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
    size_t j = i + 1;
    while (j < s.size() && is_digit(s[j]))
      ++j;
    version += s.substr(i, j - i);
    i = j;
    ++parts;
  }
  for (; parts < 4; ++parts)
    version += ".0";
  auto m = parse_modifier(s.substr(i));
  if (!m)
    return std::nullopt;
  return with_modifier(std::move(version), *m);
}

bool date_separator(char c) { return c == '.' || c == ':' || c == '-'; }

// The rest of (\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)<modifier>$
// from pos, with `groups` two-digit groups matched so far, tried in the
// pattern's backtracking order: the end of the date and its modifier.
std::optional<std::pair<size_t, modifier>> date_rest(std::string_view s, size_t pos, int groups) {
  auto digits = [&](size_t at, size_t n) {
    if (at + n > s.size())
      return false;
    for (size_t k = at; k < at + n; ++k)
      if (!is_digit(s[k]))
        return false;
    return true;
  };
  // An optional separator: with it first, then without.
  size_t starts[2] = {pos, pos};
  size_t n_starts = 0;
  if (pos < s.size() && date_separator(s[pos]))
    starts[n_starts++] = pos + 1;
  starts[n_starts++] = pos;
  if (groups < 6)
    for (size_t k = 0; k < n_starts; ++k)
      if (digits(starts[k], 2))
        if (auto r = date_rest(s, starts[k] + 2, groups + 1))
          return r;
  if (groups == 0)
    return std::nullopt;
  for (size_t k = 0; k < n_starts; ++k)
    for (size_t n = 3; n >= 1; --n)
      if (digits(starts[k], n))
        if (auto m = parse_modifier(s.substr(starts[k] + n)))
          return std::pair{starts[k] + n, *m};
  if (auto m = parse_modifier(s.substr(pos)))
    return std::pair{pos, *m};
  return std::nullopt;
}

// ^v?(date)<modifier>$, the date's separators written as dots.
std::optional<std::string> date_based(std::string_view s) {
  size_t start = !s.empty() && (s[0] == 'v' || s[0] == 'V') ? 1 : 0;
  for (size_t k = start; k < start + 4; ++k)
    if (k >= s.size() || !is_digit(s[k]))
      return std::nullopt;
  auto r = date_rest(s, start + 4, 0);
  if (!r)
    return std::nullopt;
  std::string version{s.substr(start, r->first - start)};
  for (auto& c : version)
    if (!is_digit(c))
      c = '.';
  return with_modifier(std::move(version), r->second);
}

// VersionParser::normalizeBranch for a numeric branch ("2.1.x" ->
// "2.1.9999999.9999999-dev"); nullopt for any other name.
std::optional<std::string> numeric_branch(std::string_view name) {
  name = trim(name);
  size_t i = !name.empty() && (name[0] == 'v' || name[0] == 'V') ? 1 : 0;
  size_t start = i;
  while (i < name.size() && is_digit(name[i]))
    ++i;
  if (i == start)
    return std::nullopt;
  std::string version{name.substr(start, i - start)};
  int parts = 1;
  for (; parts < 4 && i + 1 < name.size() && name[i] == '.'; ++parts) {
    char c = name[i + 1];
    if (is_digit(c)) {
      size_t j = i + 1;
      while (j < name.size() && is_digit(name[j]))
        ++j;
      version += name.substr(i, j - i);
      i = j;
    } else if (c == 'x' || c == 'X' || c == '*') {
      version += ".x";
      i += 2;
    } else {
      break;
    }
  }
  if (i != name.size())
    return std::nullopt;
  for (; parts < 4; ++parts)
    version += ".x";
  std::string out;
  for (char c : version)
    out += c == 'x' ? std::string{"9999999"} : std::string(1, c);
  return out + "-dev";
}

// PHP's canonical form for version_compare: '-', '_' and '+' become '.',
// a '.' goes between a digit and a non-digit, and any other character
// that is not a letter or digit becomes '.'; no two dots in a row after
// the first character, which is kept as it is.
std::string php_canonical(std::string_view v) {
  if (v.empty())
    return {};
  auto dig = [](char c) { return is_digit(c); };
  auto ndig = [](char c) { return !is_digit(c) && c != '.'; };
  std::string q(1, v[0]);
  char lp = v[0];
  for (size_t i = 1; i < v.size(); ++i) {
    char c = v[i];
    bool dot_before = q.back() != '.';
    if (c == '-' || c == '_' || c == '+') {
      if (dot_before)
        q += '.';
    } else if ((ndig(lp) && dig(c)) || (dig(lp) && ndig(c))) {
      if (dot_before)
        q += '.';
      q += c;
    } else if (!is_alnum(c)) {
      if (dot_before)
        q += '.';
    } else {
      q += c;
    }
    lp = c;
  }
  return q;
}

// The order of a word in PHP's special forms, by prefix: dev < alpha = a <
// beta = b < RC = rc < "#" (a number) < pl = p; any other word is below
// them all.
int special_form(std::string_view form) {
  static constexpr std::pair<std::string_view, int> forms[] = {
      {"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3},
      {"rc", 3},  {"#", 4},     {"pl", 5}, {"p", 5},
  };
  for (const auto& [name, order] : forms)
    if (form.starts_with(name))
      return order;
  return -1;
}

int sign(long long x) { return (x > 0) - (x < 0); }

// strtol of a run of digits, saturated as strtol saturates.
long long to_long(std::string_view digits) {
  long long v = 0;
  for (char c : digits) {
    if (!is_digit(c))
      break;
    if (v > (LLONG_MAX - (c - '0')) / 10)
      return LLONG_MAX;
    v = v * 10 + (c - '0');
  }
  return v;
}

} // namespace

int php_version_compare(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty())
    return a.empty() && b.empty() ? 0 : a.empty() ? -1 : 1;
  const std::string v1 = a[0] == '#' ? std::string{a} : php_canonical(a);
  const std::string v2 = b[0] == '#' ? std::string{b} : php_canonical(b);
  auto at = [](const std::string& s, size_t i) { return i < s.size() ? s[i] : '\0'; };
  // Element by element, dot-separated, as PHP walks them.
  size_t p1 = 0, p2 = 0;
  bool more1 = true, more2 = true; // a dot ended the last element
  int compare = 0;
  while (p1 < v1.size() && p2 < v2.size() && more1 && more2) {
    size_t e1 = v1.find('.', p1), e2 = v2.find('.', p2);
    more1 = e1 != std::string::npos;
    more2 = e2 != std::string::npos;
    std::string_view x = std::string_view{v1}.substr(p1, (more1 ? e1 : v1.size()) - p1);
    std::string_view y = std::string_view{v2}.substr(p2, (more2 ? e2 : v2.size()) - p2);
    bool dx = !x.empty() && is_digit(x[0]), dy = !y.empty() && is_digit(y[0]);
    if (dx && dy)
      compare = sign(to_long(x) - to_long(y));
    else if (!dx && !dy)
      compare = sign(special_form(x) - special_form(y));
    else if (dx)
      compare = sign(special_form("#N#") - special_form(y));
    else
      compare = sign(special_form(x) - special_form("#N#"));
    if (compare != 0)
      break;
    if (more1)
      p1 = e1 + 1;
    if (more2)
      p2 = e2 + 1;
  }
  if (compare == 0) {
    // What is left of the longer one: a number makes it greater, a word is
    // weighed against a number.
    if (more1)
      compare = is_digit(at(v1, p1)) ? 1 : php_version_compare(v1.substr(p1), "#N#");
    else if (more2)
      compare = is_digit(at(v2, p2)) ? -1 : php_version_compare("#N#", v2.substr(p2));
  }
  return compare;
}

std::string normalize_composer_version(std::string_view v) {
  v = trim(v);
  // "1.0.x-dev as 1.0.0": the aliased version.
  {
    size_t x = 0;
    while (x < v.size() && v[x] != ',' && !is_pcre_space(v[x]))
      ++x;
    size_t i = x;
    while (i < v.size() && v[i] == ' ')
      ++i;
    if (x > 0 && i > x && v.substr(i).starts_with("as")) {
      size_t j = i + 2;
      while (j < v.size() && v[j] == ' ')
        ++j;
      size_t y = j;
      while (y < v.size() && v[y] != ',' && !is_pcre_space(v[y]))
        ++y;
      if (j > i + 2 && y > j && y == v.size())
        v = v.substr(0, x);
    }
  }
  // A stability flag: "1.0@beta".
  if (auto at = v.rfind('@'); at != std::string_view::npos)
    for (std::string_view flag : {"stable", "RC", "beta", "alpha", "dev"})
      if (iequals(v.substr(at + 1), flag)) {
        v = v.substr(0, at);
        break;
      }
  if (v == "master" || v == "trunk" || v == "default")
    return "dev-" + std::string{v};
  if (istarts_with(v, "dev-"))
    return "dev-" + std::string{v.substr(4)};
  // Build metadata: "1.0.0+20130313".
  {
    size_t x = 0;
    while (x < v.size() && v[x] != ',' && v[x] != '+' && !is_pcre_space(v[x]))
      ++x;
    if (x > 0 && x + 1 < v.size() && v[x] == '+') {
      bool rest_ok = true;
      for (size_t i = x + 1; i < v.size(); ++i)
        rest_ok = rest_ok && !is_pcre_space(v[i]);
      if (rest_ok)
        v = v.substr(0, x);
    }
  }
  if (auto c = classical(v))
    return *c;
  if (auto d = date_based(v))
    return *d;
  // A numeric branch: "2.1.x-dev", "2-dev".
  if (v.size() >= 3 && iequals(v.substr(v.size() - 3), "dev")) {
    std::string_view name = v.substr(0, v.size() - 3);
    if (!name.empty() && (name.back() == '.' || name.back() == '-'))
      name.remove_suffix(1);
    if (auto b = numeric_branch(name))
      return *b;
  }
  return {};
}

bool packagist_branch(std::string_view v) {
  return normalize_composer_version(v).starts_with("dev-");
}

bool valid_packagist_version(std::string_view v) {
  std::string n = normalize_composer_version(v);
  return !n.empty() && !n.starts_with("dev-");
}

int compare_packagist_versions(std::string_view a, std::string_view b) {
  std::string na = normalize_composer_version(a), nb = normalize_composer_version(b);
  // Composer cannot order a version it rejects; PHP's version_compare of
  // the raw strings is not even antisymmetric ("pl~" against "pl~_"). Put
  // them below every version, in byte order, so that sorting stays sound.
  if (na.empty() || nb.empty())
    return na.empty() && nb.empty() ? trim(a).compare(trim(b)) : na.empty() ? -1 : 1;
  // Branches ("dev-main") are below every version for version_compare
  // ("dev" is its lowest word); among themselves Composer only knows
  // equal or not: byte order again.
  bool branch_a = na.starts_with("dev-"), branch_b = nb.starts_with("dev-");
  if (branch_a || branch_b)
    return branch_a && branch_b ? na.compare(nb) : branch_a ? -1 : 1;
  auto unprefixed = [](std::string_view v) {
    v = trim(v);
    if (!v.empty() && (v.front() == 'v' || v.front() == 'V'))
      v.remove_prefix(1);
    // PHP's order is not antisymmetric against a trailing separator
    // ("1.2." against "1.2.b" is 1 both ways); no real version ends so.
    // Every character but a letter or digit separates there, control
    // characters too ("9+de\x03" is below itself: found by fuzz_versions).
    while (!v.empty() && !is_alnum(v.back()))
      v.remove_suffix(1);
    return v;
  };
  return php_version_compare(unprefixed(a), unprefixed(b));
}

} // namespace regscan
