#pragma once
// Small helpers shared by the version orderings (scanners/*_version.cpp).
#include <string_view>

namespace regscan::version_detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline int sign(int x) { return (x > 0) - (x < 0); }

/// Compares two runs of decimal digits by value, without a size limit:
/// leading zeros are skipped, then the longer run is larger.
inline int compare_numbers(std::string_view a, std::string_view b) {
  while (!a.empty() && a.front() == '0')
    a.remove_prefix(1);
  while (!b.empty() && b.front() == '0')
    b.remove_prefix(1);
  if (a.size() != b.size())
    return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

/// The run of digits at the start of s.
inline std::string_view digit_prefix(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_digit(s[n]))
    ++n;
  return s.substr(0, n);
}

} // namespace regscan::version_detail
