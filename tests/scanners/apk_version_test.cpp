// Debian 12 has no apk-tools, so there is no reference to run here. The
// checks: apk-tools' own test vectors (test/version.data), a table checked
// by hand against apk-tools 2.x's src/version.c, and the real Alpine
// versions against basic properties of an order.
#include "scanners/versions/apk_version.hpp"

#include <algorithm>
#include <fstream>

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

TEST(apk_version, hand_verified_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0", 0},
      {"1.0", "1.0.1", -1},
      {"1.0_alpha1", "1.0_beta1", -1},
      {"1.0_beta1", "1.0_pre1", -1},
      {"1.0_pre1", "1.0_rc1", -1},
      {"1.1_rc1", "1.1", -1},          // pre-release suffixes sort below the release
      // ... except after a ".0": apk 2.x reads a run of zeros after '.' as a
      // token of its own, so "1.0_rc1" has one more token than "1.0" and
      // the longer version wins. regscan keeps apk's answer.
      {"1.0_rc1", "1.0", 1},
      {"1.0", "1.0_cvs", -1},          // post-release suffixes above it
      {"1.0_cvs", "1.0_svn", -1},
      {"1.0_svn", "1.0_git", -1},
      {"1.0_git", "1.0_hg", -1},
      {"1.0_hg", "1.0_p1", -1},
      {"1.0_p1", "1.0_p2", -1},
      {"1.0_p9", "1.0_p10", -1},
      {"1.0_alpha", "1.0_alpha1", -1},
      {"1.0_rc1", "1.0_rc1_p1", -1},
      {"1.0_p1", "1.0.1", -1},         // a suffix is below a further number
      {"1.0", "1.0-r0", -1},           // a revision, even r0, is above none
      {"1.0-r0", "1.0-r1", -1},
      {"1.0-r9", "1.0-r10", -1},
      {"1.0_rc1-r3", "1.0-r0", -1},
      {"1.0", "1.0a", -1},             // a letter is above the end
      {"1.0a", "1.0b", -1},
      {"1.0a", "1.0.1", -1},           // ... and below a further number
      {"1.0z-r5", "1.0.0", -1},
      {"1.9", "1.10", -1},
      {"1.01", "1.1", -1},             // after '.', leading zeros count against
      {"1.001", "1.01", -1},
      {"1.01", "1.010", -1},           // ... then the digits after them by value
      {"1.01", "1.01", 0},
      {"1.2.3_p4-r1", "1.2.3_p4-r1", 0},
      {"2.8.1-r3", "2.8.10-r0", -1},
      {"3.0.15-r0", "3.0.15-r1", -1},
      {"1.1.1g-r0", "1.1.1h-r0", -1},  // openssl's letters
      {"1.1.1w-r1", "3.0.0-r0", -1},
      {"0.105-r8", "0.105-r10", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_apk_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_apk_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

TEST(apk_version, validity) {
  for (const char* v : {"1.0", "1.0-r0", "1.0a", "1.0_alpha1_p2-r3", "1.2.3_rc1", "20200101"})
    EXPECT_TRUE(valid_apk_version(v)) << v;
  for (const char* v : {"1.0-x", "1.0_foo", "1.0A", "1.0-r1a", "1.0ab", "1.0-r1.2"})
    EXPECT_FALSE(valid_apk_version(v)) << v;
}

// apk-tools' own comparison vectors (test/version.data in
// alpinelinux/apk-tools), copied to scanners/testdata/versions.
TEST(apk_version, same_as_apk_tools_test_vectors) {
  std::ifstream in{REGSCAN_SOURCE_DIR "/scanners/testdata/versions/apk-tools-version.data"};
  size_t n = 0;
  for (std::string a, op, b; in >> a >> op >> b; ++n) {
    int want = op == "<" ? -1 : op == ">" ? 1 : 0;
    EXPECT_EQ(sign(compare_apk_versions(a, b)), want) << a << ' ' << op << ' ' << b;
    EXPECT_EQ(sign(compare_apk_versions(b, a)), -want) << b << " vs " << a;
  }
  EXPECT_GT(n, 200u);
}

// Every real version from the Alpine secdb is valid, and the order on them
// is a total preorder: antisymmetric, transitive along a sorted list.
TEST(apk_version, real_versions_are_ordered_consistently) {
  auto versions = real_versions("alpine.txt");
  ASSERT_GT(versions.size(), 500u);
  // A few secdb entries are not valid apk versions ("2.7.16-33"); apk
  // would compare them up to the bad part, and so do we.
  size_t valid = 0;
  for (const auto& v : versions)
    valid += valid_apk_version(v);
  EXPECT_GT(valid, versions.size() * 98 / 100);
  std::stable_sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
    return compare_apk_versions(a, b) < 0;
  });
  for (size_t i = 0; i < versions.size(); i += 7)
    for (size_t j = i + 1; j < versions.size(); ++j) {
      int c = sign(compare_apk_versions(versions[i], versions[j]));
      ASSERT_LE(c, 0) << versions[i] << " vs " << versions[j];
      ASSERT_EQ(sign(compare_apk_versions(versions[j], versions[i])), -c);
    }
}

} // namespace
} // namespace regscan
