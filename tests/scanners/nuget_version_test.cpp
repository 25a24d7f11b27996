// NuGet's own comparer (NuGet.Versioning, .NET) is not packaged for Debian,
// so this table is checked by hand against NuGet's documented rules
// (https://learn.microsoft.com/nuget/concepts/package-versioning).
#include "scanners/versions/nuget_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

TEST(nuget_version, hand_verified_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0.0", 0},
      {"1.0.0", "1.0.0.0", 0},
      {"01.0", "1.0", 0},
      {"1.0.0", "1.0.0.1", -1},
      {"1.0.0.9", "1.0.0.10", -1},
      {"1.0.0-beta", "1.0.0-BETA", 0},      // labels ignore case
      {"1.0.0-beta", "1.0.0", -1},
      {"1.0.0-alpha", "1.0.0-alpha.1", -1},
      {"1.0.0-beta.2", "1.0.0-beta.11", -1},
      {"1.0.0-1", "1.0.0-alpha", -1},       // numbers below words
      {"1.0.0-Alpha", "1.0.0-beta", -1},
      {"1.0.0+abc", "1.0.0", 0},            // metadata is ignored
      {"1.0.0-rc.1+build.5", "1.0.0-rc.1", 0},
      {"7.0.0-preview.1.22076.8", "7.0.0-rc.2.22472.3", -1},
      {"7.0.0-rc.2.22472.3", "7.0.0", -1},
      {"12.0.3", "13.0.1", -1},
      {"4.8.0-preview1", "4.8.0", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_nuget_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_nuget_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

} // namespace
} // namespace regscan
