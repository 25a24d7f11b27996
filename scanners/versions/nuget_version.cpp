#include "scanners/versions/nuget_version.hpp"

#include <array>

#include "scanners/versions/version_common.hpp"

namespace regscan {
namespace {

using namespace version_detail;

struct nuget {
  std::array<std::string_view, 4> parts{"0", "0", "0", "0"};
  std::string_view pre;
};

nuget parse(std::string_view s) {
  nuget v;
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  if (auto plus = s.find('+'); plus != std::string_view::npos)
    s = s.substr(0, plus);
  if (auto hyphen = s.find('-'); hyphen != std::string_view::npos) {
    v.pre = s.substr(hyphen + 1);
    s = s.substr(0, hyphen);
  }
  for (size_t i = 0; i < 4 && !s.empty(); ++i) {
    std::string_view n = digit_prefix(s);
    v.parts[i] = n.empty() ? "0" : n;
    s.remove_prefix(n.size());
    if (s.empty() || s.front() != '.')
      break;
    s.remove_prefix(1);
  }
  return v;
}

int compare_label(std::string_view a, std::string_view b) {
  bool an = !a.empty() && digit_prefix(a).size() == a.size();
  bool bn = !b.empty() && digit_prefix(b).size() == b.size();
  if (an && bn)
    return compare_numbers(a, b);
  if (an != bn)
    return an ? -1 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (char x = to_lower(a[i]), y = to_lower(b[i]); x != y)
      return x < y ? -1 : 1;
  if (a.size() != b.size())
    return a.size() < b.size() ? -1 : 1;
  return 0;
}

} // namespace

int compare_nuget_versions(std::string_view a, std::string_view b) {
  nuget x = parse(a), y = parse(b);
  for (size_t i = 0; i < 4; ++i)
    if (int r = compare_numbers(x.parts[i], y.parts[i]); r != 0)
      return r;
  if (x.pre.empty() != y.pre.empty())
    return x.pre.empty() ? 1 : -1;
  std::string_view p = x.pre, q = y.pre;
  while (!p.empty() || !q.empty()) {
    if (p.empty() || q.empty())
      return p.empty() ? -1 : 1;
    size_t dp = p.find('.'), dq = q.find('.');
    if (int r = compare_label(p.substr(0, dp), q.substr(0, dq)); r != 0)
      return r;
    p = dp == std::string_view::npos ? std::string_view{} : p.substr(dp + 1);
    q = dq == std::string_view::npos ? std::string_view{} : q.substr(dq + 1);
  }
  return 0;
}

} // namespace regscan
