#include "scanners/versions/rubygems_version.hpp"

#include <string>
#include <vector>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

struct segment {
  std::string_view text;
  bool numeric;
};

constexpr std::string_view pre_word = "pre";

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0'; };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

// canonical_segments: split at the first word, drop the trailing zeros of
// both halves, join them.
std::vector<segment> canonical(std::string_view v) {
  v = trim(v);
  std::vector<segment> out;
  for (size_t i = 0; i < v.size();) {
    if (v[i] == '-') {
      out.push_back({pre_word, false}); // "-" is ".pre."
      ++i;
      continue;
    }
    size_t j = i;
    if (is_digit(v[i])) {
      while (j < v.size() && is_digit(v[j]))
        ++j;
      out.push_back({v.substr(i, j - i), true});
    } else if (is_alpha(v[i])) {
      while (j < v.size() && is_alpha(v[j]))
        ++j;
      out.push_back({v.substr(i, j - i), false});
    } else {
      ++j;
    }
    i = j;
  }
  if (out.empty())
    out.push_back({"0", true}); // "" is version "0"
  size_t first_word = 0;
  while (first_word < out.size() && out[first_word].numeric)
    ++first_word;
  auto is_zero = [](const segment& s) { return s.numeric && compare_numbers(s.text, "0") == 0; };
  size_t end = out.size();
  while (end > first_word && is_zero(out[end - 1]))
    --end;
  out.resize(end);
  size_t head_end = first_word;
  while (head_end > 0 && is_zero(out[head_end - 1]))
    --head_end;
  out.erase(out.begin() + static_cast<long>(head_end), out.begin() + static_cast<long>(first_word));
  return out;
}

} // namespace

int compare_rubygems_versions(std::string_view a, std::string_view b) {
  std::vector<segment> x = canonical(a), y = canonical(b);
  const segment zero{"0", true};
  for (size_t i = 0; i < x.size() || i < y.size(); ++i) {
    const segment& l = i < x.size() ? x[i] : zero;
    const segment& r = i < y.size() ? y[i] : zero;
    if (l.numeric != r.numeric)
      return l.numeric ? 1 : -1;
    int c = l.numeric ? compare_numbers(l.text, r.text) : sign(l.text.compare(r.text));
    if (c != 0)
      return c;
  }
  return 0;
}

bool valid_rubygems_version(std::string_view v) {
  // [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?, or blank.
  v = trim(v);
  if (v.empty())
    return true;
  size_t i = 0;
  if (!is_digit(v[0]))
    return false;
  while (i < v.size() && is_digit(v[i]))
    ++i;
  while (i < v.size() && v[i] == '.') {
    size_t j = ++i;
    while (j < v.size() && is_alnum(v[j]))
      ++j;
    if (j == i)
      return false;
    i = j;
  }
  if (i == v.size())
    return true;
  if (v[i] != '-')
    return false;
  ++i;
  bool need = true;
  for (; i < v.size(); ++i) {
    if (is_alnum(v[i]) || v[i] == '-')
      need = false;
    else if (v[i] == '.' && !need)
      need = true;
    else
      return false;
  }
  return !need;
}

} // namespace regscan
