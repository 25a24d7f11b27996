#include "scanners/versions/apk_version.hpp"

#include <array>
#include <cstdint>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

// The token kinds in apk's order: a version may only move forward through
// them (with the few exceptions in advance()).
enum token : int {
  t_invalid = -1,
  t_digit_or_zero, // a number after '.'
  t_digit,
  t_letter,
  t_suffix,
  t_suffix_no,
  t_revision_no,
  t_end,
};

class tokenizer {
 public:
  explicit tokenizer(std::string_view s) : s_(s) {}

  token kind = t_digit;

  // The value of the current token, then moves to the next one.
  int64_t next() {
    if (s_.empty()) {
      kind = t_end;
      return 0;
    }
    int64_t v = 0;
    size_t n = 0;
    token forced = t_invalid;
    switch (kind) {
      case t_digit_or_zero:
        // Leading zeros count against the number, so 1.01 < 1.1.
        if (s_[0] == '0') {
          while (n < s_.size() && s_[n] == '0')
            ++n;
          forced = t_digit;
          v = -static_cast<int64_t>(n);
          break;
        }
        [[fallthrough]];
      case t_digit:
      case t_suffix_no:
      case t_revision_no:
        while (n < s_.size() && is_digit(s_[n])) {
          if (v < (int64_t{1} << 50))
            v = v * 10 + (s_[n] - '0');
          ++n;
        }
        break;
      case t_letter:
        v = static_cast<unsigned char>(s_[n++]);
        break;
      case t_suffix: {
        constexpr std::array<std::string_view, 4> pre{"alpha", "beta", "pre", "rc"};
        constexpr std::array<std::string_view, 5> post{"cvs", "svn", "git", "hg", "p"};
        bool found = false;
        for (size_t k = 0; k < pre.size() && !found; ++k)
          if (s_.starts_with(pre[k])) {
            v = static_cast<int64_t>(k) - static_cast<int64_t>(pre.size());
            n = pre[k].size();
            found = true;
          }
        for (size_t k = 0; k < post.size() && !found; ++k)
          if (s_.starts_with(post[k])) {
            v = static_cast<int64_t>(k);
            n = post[k].size();
            found = true;
          }
        if (found)
          break;
        kind = t_invalid;
        return -1;
      }
      default:
        kind = t_invalid;
        return -1;
    }
    s_.remove_prefix(n);
    if (s_.empty())
      kind = t_end;
    else if (forced != t_invalid)
      kind = forced;
    else
      advance();
    return v;
  }

 private:
  // Reads the separator (if any) that starts the next token.
  void advance() {
    token n = t_invalid;
    char c = s_[0];
    if ((kind == t_digit || kind == t_digit_or_zero) && c >= 'a' && c <= 'z') {
      n = t_letter;
    } else if (kind == t_letter && is_digit(c)) {
      n = t_digit;
    } else if (kind == t_suffix && is_digit(c)) {
      n = t_suffix_no;
    } else {
      if (c == '.') {
        n = t_digit_or_zero;
      } else if (c == '_') {
        n = t_suffix;
      } else if (c == '-' && s_.size() > 1 && s_[1] == 'r') {
        n = t_revision_no;
        s_.remove_prefix(1);
      }
      s_.remove_prefix(1);
    }
    if (n < kind && !((n == t_digit_or_zero && kind == t_digit) ||
                      (n == t_suffix && kind == t_suffix_no) ||
                      (n == t_digit && kind == t_letter)))
      n = t_invalid;
    kind = n;
  }

  std::string_view s_;
};

} // namespace

int compare_apk_versions(std::string_view a, std::string_view b) {
  tokenizer x{a}, y{b};
  int64_t av = 0, bv = 0;
  while (x.kind == y.kind && x.kind != t_end && x.kind != t_invalid && av == bv) {
    av = x.next();
    bv = y.next();
  }
  if (av != bv)
    return av < bv ? -1 : 1;
  if (x.kind == y.kind)
    return 0;
  // Equal so far and one goes on: the longer one is newer, unless what
  // follows is a pre-release suffix.
  if (x.kind == t_suffix) {
    tokenizer t = x;
    if (t.next() < 0)
      return -1;
  }
  if (y.kind == t_suffix) {
    tokenizer t = y;
    if (t.next() < 0)
      return 1;
  }
  if (x.kind > y.kind)
    return -1;
  if (y.kind > x.kind)
    return 1;
  return 0;
}

bool valid_apk_version(std::string_view v) {
  tokenizer t{v};
  while (t.kind != t_end && t.kind != t_invalid)
    t.next();
  return t.kind == t_end;
}

} // namespace regscan
