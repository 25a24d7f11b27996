#include "scanners/versions/rpm_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

const std::string reference = "/usr/bin/python3 " + reference_dir() + "/rpm_compare.py";
bool have_rpm() { return have("/usr/bin/python3 -c 'import rpm'"); }

TEST(rpm_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0", 0},        {"1.0", "1.00", 0},       {"1.0~rc1", "1.0", -1},
      {"1.0^git1", "1.0", 1},   {"1.0^git1", "1.0.1", -1}, {"1.0^", "1.0~", 1},
      {"1.a", "1.1", -1},       {"1_0", "1.0", 0},         {"1:1.0", "2.0", 1},
      {"0:1.0-1", "1.0-1", 0},  {"1.0-2.el9", "1.0-10.el9", -1},
      {"1.0-1", "1.0", 1},      // a release beats none
      {"3.0.7-27.el9", "1:3.0.7-24.el9", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_rpm_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_rpm_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

std::string random_rpm(random_source& r) {
  static const std::vector<std::string> words{"a", "b", "z", "rc", "git", "el", "A", "fc"};
  std::string v;
  if (r.pick(5) == 0)
    v += r.number(true) + ":";
  auto segment = [&] { return r.pick(3) == 0 ? r.one_of(words) : r.number(true); };
  v += r.number(true);
  for (size_t n = r.pick(5); n > 0; --n) {
    v += ".._+~^"[r.pick(6)];
    v += segment();
  }
  if (r.pick(3) != 0) {
    v += "-" + segment();
    for (size_t n = r.pick(3); n > 0; --n)
      v += std::string(1, ".~^_"[r.pick(4)]) + segment();
  }
  return v;
}

TEST(rpm_version, same_as_librpm_on_random_pairs) {
  if (!have_rpm())
    GTEST_SKIP() << "python3-rpm is not installed";
  random_source r{424242};
  pair_list pairs;
  while (pairs.size() < 4000) {
    std::string a = random_rpm(r);
    std::string b = pairs.size() % 3 == 0 ? random_rpm(r) : r.mutate(a, "019az.~^_-:");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  expect_same_as_reference(compare_rpm_versions, reference, pairs);
}

TEST(rpm_version, same_as_librpm_on_real_versions) {
  if (!have_rpm())
    GTEST_SKIP() << "python3-rpm is not installed";
  auto versions = real_versions("rpm.txt");
  ASSERT_GT(versions.size(), 40u);
  expect_same_as_reference(compare_rpm_versions, reference,
                           neighbour_pairs(versions, compare_rpm_versions));
}

} // namespace
} // namespace regscan
