#include "scanners/versions/pep440_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

const std::string reference = "/usr/bin/python3 " + reference_dir() + "/pep440_compare.py";
bool have_packaging() { return have("/usr/bin/python3 -c 'import packaging.version'"); }

TEST(pep440_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0.0", 0},          {"1.0.dev1", "1.0a1", -1},   {"1.0a1", "1.0b1", -1},
      {"1.0b1", "1.0rc1", -1},      {"1.0rc1", "1.0", -1},       {"1.0", "1.0.post1", -1},
      {"1.0.post1.dev1", "1.0.post1", -1}, {"1.0a1.post1", "1.0a2", -1},
      {"1.0-1", "1.0.post1", 0},    {"1.0ALPHA1", "1.0a1", 0},   {"1.0c1", "1.0rc1", 0},
      {"1!0.1", "2.0", 1},          {"1.0+abc", "1.0", 1},       {"1.0+5", "1.0+abc", 1},
      {"1.0+abc.1", "1.0+abc", 1},  {"v1.0", "1.0", 0},          {"1.10", "1.9", 1},
      {"not a version", "0.0.1", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_pep440_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_pep440_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

std::string random_pep440(random_source& r) {
  static const std::vector<std::string> pre{"a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "RC", "A"};
  static const std::vector<std::string> post{"post", "rev", "r", "POST"};
  static const std::vector<std::string> seps{"", ".", "-", "_"};
  std::string v;
  if (r.pick(6) == 0)
    v += "v";
  if (r.pick(8) == 0)
    v += r.number() + "!";
  v += r.number(true);
  for (size_t n = r.pick(4); n > 0; --n)
    v += "." + r.number(true);
  if (r.pick(3) == 0)
    v += r.one_of(seps) + r.one_of(pre) + (r.pick(4) ? r.one_of(seps) + r.number(true) : "");
  if (r.pick(4) == 0)
    v += r.pick(3) == 0 ? "-" + r.number() : r.one_of(seps) + r.one_of(post) + (r.pick(4) ? r.number() : "");
  if (r.pick(4) == 0)
    v += r.one_of(seps) + "dev" + (r.pick(4) ? r.number() : "");
  if (r.pick(5) == 0) {
    v += "+" + std::string(r.pick(2) ? "abc" : r.number(true));
    for (size_t n = r.pick(3); n > 0; --n)
      v += r.one_of(seps).empty() ? "." : r.one_of(seps) + (r.pick(2) ? "Ubuntu" : r.number(true));
  }
  return v;
}

TEST(pep440_version, same_as_packaging_on_random_pairs) {
  if (!have_packaging())
    GTEST_SKIP() << "python3-packaging is not installed";
  random_source r{440};
  pair_list pairs;
  while (pairs.size() < 5000) {
    std::string a = random_pep440(r);
    std::string b = pairs.size() % 3 == 0 ? random_pep440(r) : r.mutate(a, "019.-_abcrpv+!");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  expect_same_as_reference(compare_pep440_versions, reference, pairs, valid_pep440_version);
}

TEST(pep440_version, validity_same_as_packaging) {
  if (!have_packaging())
    GTEST_SKIP() << "python3-packaging is not installed";
  random_source r{441};
  pair_list pairs;
  for (int i = 0; i < 3000; ++i) {
    std::string a = r.mutate(random_pep440(r), "019.-_abcrpv+!x ");
    pairs.emplace_back(a, "0");
  }
  auto answers = run_reference(reference, pairs);
  ASSERT_EQ(answers.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i)
    EXPECT_EQ(answers[i] != "E", valid_pep440_version(pairs[i].first)) << '"' << pairs[i].first << '"';
}

TEST(pep440_version, same_as_packaging_on_real_versions) {
  if (!have_packaging())
    GTEST_SKIP() << "python3-packaging is not installed";
  auto versions = real_versions("pypi.txt");
  ASSERT_GT(versions.size(), 500u);
  expect_same_as_reference(compare_pep440_versions, reference,
                           neighbour_pairs(versions, compare_pep440_versions, 2000),
                           valid_pep440_version);
}

} // namespace
} // namespace regscan
