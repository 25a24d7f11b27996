// Every version comparator: the first byte picks the scheme, the rest is two
// versions separated by a newline. Each comparison must be antisymmetric and
// every version equal to itself, except PHP's version_compare, which is
// faithful to PHP ("1.0." is below itself there) and only checked for memory
// errors: compare_packagist_versions is the order regscan sorts with.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "scanners/versions/apk_version.hpp"
#include "scanners/versions/debian_version.hpp"
#include "scanners/versions/maven_version.hpp"
#include "scanners/versions/nuget_version.hpp"
#include "scanners/versions/packagist_version.hpp"
#include "scanners/versions/pep440_version.hpp"
#include "scanners/versions/rpm_version.hpp"
#include "scanners/versions/rubygems_version.hpp"
#include "scanners/versions/semver_version.hpp"

namespace {

using compare_fn = int (*)(std::string_view, std::string_view);

struct scheme {
  const char* name;
  compare_fn compare;
  bool ordered = true; // a total order: antisymmetric and reflexive
};

const scheme schemes[] = {
    {"apk", regscan::compare_apk_versions},
    {"debian", regscan::compare_debian_versions},
    {"maven", regscan::compare_maven_versions},
    {"nuget", regscan::compare_nuget_versions},
    {"packagist", regscan::compare_packagist_versions},
    {"php", regscan::php_version_compare, false},
    {"pep440", regscan::compare_pep440_versions},
    {"rpmvercmp", regscan::rpmvercmp},
    {"rpm", regscan::compare_rpm_versions},
    {"rubygems", regscan::compare_rubygems_versions},
    {"semver", regscan::compare_semver},
    {"go", regscan::compare_go_versions},
};

int sign(int x) { return (x > 0) - (x < 0); }

void fail(const scheme& s, const char* what, std::string_view a, std::string_view b, int ab,
          int ba) {
  std::fprintf(stderr, "%s: %s: a=\"%.*s\" b=\"%.*s\" compare(a,b)=%d compare(b,a)=%d\n",
               s.name, what, int(a.size()), a.data(), int(b.size()), b.data(), ab, ba);
  __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  const auto& s = schemes[data[0] % (sizeof schemes / sizeof schemes[0])];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto nl = rest.find('\n');
  std::string_view a = rest.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  int ab = sign(s.compare(a, b)), ba = sign(s.compare(b, a));
  if (s.ordered) {
    if (ab != -ba)
      fail(s, "not antisymmetric", a, b, ab, ba);
    if (int aa = s.compare(a, a); aa != 0)
      fail(s, "a != a", a, a, aa, aa);
    if (int bb = s.compare(b, b); bb != 0)
      fail(s, "b != b", b, b, bb, bb);
  }

  (void)regscan::valid_apk_version(a);
  (void)regscan::valid_debian_version(a);
  (void)regscan::valid_packagist_version(a);
  (void)regscan::packagist_branch(a);
  (void)regscan::normalize_composer_version(a);
  (void)regscan::valid_pep440_version(a);
  (void)regscan::valid_rubygems_version(a);
  (void)regscan::valid_semver(a);
  (void)regscan::go_toolchain_semver(a);
  return 0;
}
