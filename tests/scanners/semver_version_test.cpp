#include "scanners/versions/semver_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

// node-semver, from Debian's node-semver package (the npm package semver).
const std::string reference =
    "NODE_PATH=/usr/share/nodejs node " + reference_dir() + "/semver_compare.js";
bool have_semver() { return have("NODE_PATH=/usr/share/nodejs node -e \"require('semver')\""); }

TEST(semver_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0.0", "1.0.0", 0},           {"v1.0.0", "1.0.0", 0},
      {"1.0.0-alpha", "1.0.0", -1},    {"1.0.0-alpha", "1.0.0-alpha.1", -1},
      {"1.0.0-alpha.1", "1.0.0-alpha.beta", -1}, {"1.0.0-beta.2", "1.0.0-beta.11", -1},
      {"1.0.0-rc.1", "1.0.0", -1},     {"1.0.0+build.1", "1.0.0+build.2", 0},
      {"v2.0.0+incompatible", "v2.0.0", 0}, {"1.10.0", "1.9.0", 1},
      {"v0.0.0-20200101000000-abcdef123456", "v0.0.1", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_semver(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_semver(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

TEST(semver_version, go_toolchain_versions) {
  EXPECT_EQ(go_toolchain_semver("go1.21.3"), "1.21.3");
  EXPECT_EQ(go_toolchain_semver("go1.21"), "1.21.0");
  EXPECT_EQ(go_toolchain_semver("go1.21rc2"), "1.21.0-rc.2");
  EXPECT_EQ(go_toolchain_semver("go1.9beta1"), "1.9.0-beta.1");
  EXPECT_EQ(go_toolchain_semver("1.2.3"), "1.2.3");
  EXPECT_LT(compare_go_versions(go_toolchain_semver("go1.21rc2"), "1.21.0"), 0);
}

std::string random_semver(random_source& r) {
  static const std::vector<std::string> ids{"alpha", "beta", "rc", "0", "1", "2", "11", "x-y", "A", "a1", "-"};
  std::string v = r.pick(6) == 0 ? "v" : "";
  // Leading zeros (which node-semver rejects) only now and then.
  bool zeros = r.pick(10) == 0;
  v += r.number(zeros) + "." + r.number(zeros) + "." + r.number(zeros);
  if (r.pick(2) == 0) {
    v += "-" + r.one_of(ids);
    for (size_t n = r.pick(3); n > 0; --n)
      v += "." + r.one_of(ids);
  }
  if (r.pick(5) == 0)
    v += "+" + std::string(r.pick(2) ? "build.5" : "incompatible");
  return v;
}

TEST(semver_version, same_as_node_semver_on_random_pairs) {
  if (!have_semver())
    GTEST_SKIP() << "node or node-semver is not installed";
  random_source r{2718};
  pair_list pairs;
  while (pairs.size() < 5000) {
    std::string a = random_semver(r);
    std::string b = pairs.size() % 3 == 0 ? random_semver(r) : r.mutate(a, "019.-+az");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  expect_same_as_reference(compare_semver, reference, pairs, valid_semver);
}

TEST(semver_version, same_as_node_semver_on_real_versions) {
  if (!have_semver())
    GTEST_SKIP() << "node or node-semver is not installed";
  auto versions = real_versions("npm.txt");
  for (const auto& v : real_versions("go.txt"))
    versions.push_back(v);
  ASSERT_GT(versions.size(), 900u);
  expect_same_as_reference(compare_semver, reference,
                           neighbour_pairs(versions, compare_semver, 2000), valid_semver);
}

} // namespace
} // namespace regscan
