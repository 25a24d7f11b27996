#include "scanners/versions/rubygems_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

const std::string reference = "ruby " + reference_dir() + "/gem_compare.rb";
bool have_ruby() { return have("ruby -e 'require \"rubygems\"'"); }

TEST(rubygems_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0.0", 0},       {"1.0.a", "1.0", -1},       {"1.0.0.rc1", "1.0.0", -1},
      {"1.0.0-rc1", "1.0.0.pre.rc1", 0}, {"1.0.0.beta", "1.0.0.rc", -1}, {"1.10", "1.9", 1},
      {"1.0.a", "1.0a", 0},      {"5.2.4.3", "5.2.4", 1},    {"1.0.0.a.1", "1.0.0.a", 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_rubygems_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_rubygems_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

std::string random_gem(random_source& r) {
  static const std::vector<std::string> words{"a", "b", "pre", "rc", "beta", "Z", "alpha"};
  std::string v = r.number(true);
  for (size_t n = r.pick(5); n > 0; --n)
    v += "." + (r.pick(3) == 0 ? r.one_of(words) + (r.pick(2) ? r.number() : "") : r.number(true));
  if (r.pick(5) == 0) {
    v += "-" + (r.pick(2) ? r.one_of(words) : r.number());
    for (size_t n = r.pick(3); n > 0; --n)
      v += std::string(r.pick(3) ? "." : "-") + (r.pick(2) ? r.one_of(words) : r.number(true));
  }
  return v;
}

TEST(rubygems_version, same_as_gem_version_on_random_pairs) {
  if (!have_ruby())
    GTEST_SKIP() << "ruby is not installed";
  random_source r{1618};
  pair_list pairs;
  while (pairs.size() < 5000) {
    std::string a = random_gem(r);
    std::string b = pairs.size() % 3 == 0 ? random_gem(r) : r.mutate(a, "019.-abp");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  auto versions = real_versions("rubygems.txt");
  ASSERT_GT(versions.size(), 30u);
  for (const auto& p : neighbour_pairs(versions, compare_rubygems_versions))
    pairs.push_back(p);
  expect_same_as_reference(compare_rubygems_versions, reference, pairs, valid_rubygems_version);
}

} // namespace
} // namespace regscan
