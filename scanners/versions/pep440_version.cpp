#include "scanners/versions/pep440_version.hpp"

#include <array>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

struct pep440 {
  bool valid = false;
  std::string_view epoch{"0"};
  std::string_view release; // "1.2.3"
  int pre_kind = 3;         // 0 a, 1 b, 2 rc, 3 none
  std::string_view pre_n{"0"};
  bool has_post = false;
  std::string_view post_n{"0"};
  bool has_dev = false;
  std::string_view dev_n{"0"};
  std::string_view local; // without '+', separators not yet normalised
};

bool is_sep(char c) { return c == '-' || c == '_' || c == '.'; }

// Matches one of words (lower case) at the start of s, case-insensitively,
// longest first as the regex alternation is ordered; returns its length.
template <size_t N>
size_t match_word(std::string_view s, const std::array<std::string_view, N>& words, size_t& which) {
  for (size_t k = 0; k < N; ++k) {
    std::string_view w = words[k];
    if (s.size() < w.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < w.size() && same; ++i)
      same = to_lower(s[i]) == w[i];
    if (same) {
      which = k;
      return w.size();
    }
  }
  return 0;
}

// "[-_.]?word[-_.]?N?" at the start of s; the word one of words.
template <size_t N>
bool labelled(std::string_view& s, const std::array<std::string_view, N>& words, size_t& which,
              std::string_view& number) {
  std::string_view t = s;
  if (!t.empty() && is_sep(t.front()))
    t.remove_prefix(1);
  size_t n = match_word(t, words, which);
  if (n == 0)
    return false;
  t.remove_prefix(n);
  std::string_view after_sep = t;
  if (!t.empty() && is_sep(t.front()))
    after_sep.remove_prefix(1);
  std::string_view d = digit_prefix(after_sep);
  if (!d.empty()) {
    number = d;
    after_sep.remove_prefix(d.size());
    t = after_sep;
  } else if (t.size() != after_sep.size()) {
    // A trailing separator with no number: the regex takes it too.
    t = after_sep;
  }
  s = t;
  return true;
}

pep440 parse(std::string_view s) {
  pep440 v;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V'))
    s.remove_prefix(1);
  std::string_view d = digit_prefix(s);
  if (!d.empty() && d.size() < s.size() && s[d.size()] == '!') {
    v.epoch = d;
    s.remove_prefix(d.size() + 1);
  }
  const char* start = s.data();
  size_t len = 0;
  while (true) {
    std::string_view n = digit_prefix(s.substr(len));
    if (n.empty())
      return v;
    len += n.size();
    if (len + 1 < s.size() && s[len] == '.' && is_digit(s[len + 1]))
      ++len;
    else
      break;
  }
  v.release = std::string_view{start, len};
  s.remove_prefix(len);

  constexpr std::array<std::string_view, 7> pre_words{"alpha", "beta", "preview", "pre", "rc", "c", "b"};
  constexpr std::array<std::string_view, 1> a_word{"a"};
  size_t which = 0;
  if (labelled(s, pre_words, which, v.pre_n)) {
    constexpr int kinds[] = {0, 1, 2, 2, 2, 2, 1};
    v.pre_kind = kinds[which];
  } else if (labelled(s, a_word, which, v.pre_n)) {
    v.pre_kind = 0;
  }
  constexpr std::array<std::string_view, 3> post_words{"post", "rev", "r"};
  if (s.size() >= 2 && s[0] == '-' && is_digit(s[1])) {
    v.has_post = true;
    v.post_n = digit_prefix(s.substr(1));
    s.remove_prefix(1 + v.post_n.size());
  } else if (labelled(s, post_words, which, v.post_n)) {
    v.has_post = true;
  }
  constexpr std::array<std::string_view, 1> dev_word{"dev"};
  if (labelled(s, dev_word, which, v.dev_n))
    v.has_dev = true;
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    v.local = s;
    // [a-z0-9]+([-_.][a-z0-9]+)*
    bool need = true;
    for (char c : s) {
      if (is_alnum(c)) {
        need = false;
      } else if (is_sep(c) && !need) {
        need = true;
      } else {
        return v;
      }
    }
    if (need)
      return v;
    s = {};
  }
  v.valid = s.empty();
  return v;
}

// Release segments with trailing zeros ignored.
int compare_release(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    std::string_view x = digit_prefix(a), y = digit_prefix(b);
    if (int r = compare_numbers(x.empty() ? "0" : x, y.empty() ? "0" : y); r != 0)
      return r;
    a.remove_prefix(std::min(a.size(), x.size() + 1));
    b.remove_prefix(std::min(b.size(), y.size() + 1));
  }
  return 0;
}

// One local segment: numbers above words; words compared lower-cased.
int compare_local(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    size_t n = 0;
    while (n < s.size() && !is_sep(s[n]))
      ++n;
    std::string_view seg = s.substr(0, n);
    s.remove_prefix(std::min(s.size(), n + 1));
    return seg;
  };
  while (!a.empty() || !b.empty()) {
    if (a.empty() || b.empty())
      return a.empty() ? -1 : 1;
    std::string_view x = next(a), y = next(b);
    bool xn = digit_prefix(x).size() == x.size(), yn = digit_prefix(y).size() == y.size();
    if (xn != yn)
      return xn ? 1 : -1;
    if (xn) {
      if (int r = compare_numbers(x, y); r != 0)
        return r;
      continue;
    }
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (char cx = to_lower(x[i]), cy = to_lower(y[i]); cx != cy)
        return cx < cy ? -1 : 1;
    if (x.size() != y.size())
      return x.size() < y.size() ? -1 : 1;
  }
  return 0;
}

// packaging's _cmpkey: a dev release without pre or post sorts before any
// pre-release of its release.
int pre_rank(const pep440& v) {
  if (v.pre_kind == 3 && !v.has_post && v.has_dev)
    return -1;
  return v.pre_kind;
}

int compare_parsed(const pep440& x, const pep440& y) {
  if (int r = compare_numbers(x.epoch, y.epoch); r != 0)
    return r;
  if (int r = compare_release(x.release, y.release); r != 0)
    return r;
  int px = pre_rank(x), py = pre_rank(y);
  if (px != py)
    return px < py ? -1 : 1;
  if (px >= 0 && px < 3)
    if (int r = compare_numbers(x.pre_n, y.pre_n); r != 0)
      return r;
  if (x.has_post != y.has_post)
    return x.has_post ? 1 : -1;
  if (int r = compare_numbers(x.post_n, y.post_n); x.has_post && r != 0)
    return r;
  if (x.has_dev != y.has_dev)
    return x.has_dev ? -1 : 1;
  if (int r = compare_numbers(x.dev_n, y.dev_n); x.has_dev && r != 0)
    return r;
  if (x.local.empty() != y.local.empty())
    return x.local.empty() ? -1 : 1;
  return compare_local(x.local, y.local);
}

} // namespace

int compare_pep440_versions(std::string_view a, std::string_view b) {
  pep440 x = parse(a), y = parse(b);
  if (!x.valid || !y.valid) {
    if (x.valid != y.valid)
      return x.valid ? 1 : -1;
    return sign(a.compare(b));
  }
  return compare_parsed(x, y);
}

bool valid_pep440_version(std::string_view v) { return parse(v).valid; }

} // namespace regscan
