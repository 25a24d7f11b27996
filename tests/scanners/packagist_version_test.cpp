#include "scanners/versions/packagist_version.hpp"

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

// composer/semver and PHP from Debian (php-composer-semver, php-cli).
const std::string reference = "php " + reference_dir() + "/packagist_compare.php";
bool have_composer() {
  return have("php -r \"require '/usr/share/php/Composer/Semver/autoload.php'; "
              "new Composer\\Semver\\VersionParser();\"");
}

TEST(packagist_version, normalizes_as_composer) {
  struct tc {
    const char* in;
    const char* want;
  };
  const tc cases[] = {
      {"1", "1.0.0.0"},
      {"v1.2", "1.2.0.0"},
      {"1.2.3.4", "1.2.3.4"},
      {"1.0.0-beta.2", "1.0.0.0-beta2"},
      {"1.0-b2", "1.0.0.0-beta2"},
      {"1.0.0RC1", "1.0.0.0-RC1"},
      {"2.3.2-p2", "2.3.2.0-patch2"},
      {"1.0.0-alpha1-dev", "1.0.0.0-alpha1-dev"},
      {"1.0.0-stable", "1.0.0.0"},
      {"1.0.0+20130313", "1.0.0.0"},
      {"2010-01-02", "2010.01.02"},
      {"2.1.x-dev", "2.1.9999999.9999999-dev"},
      {"dev-main", "dev-main"},
      {"master", "dev-master"},
      {"1.0.0 as 2.0.0", "1.0.0.0"},
      {"1.0@beta", "1.0.0.0"},
      {"1.0.0-pre", ""},
      {"foo", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(normalize_composer_version(c.in), c.want) << c.in;
}

TEST(packagist_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0.0.0", -1},        {"v2.0.1", "2.0.1", 0},       {"1.0.0-dev", "1.0.0-alpha", -1},
      {"1.0.0-alpha", "1.0.0-beta", -1}, {"1.0.0-beta2", "1.0.0-RC1", -1}, {"1.0.0-RC1", "1.0.0", -1},
      {"1.0.0", "1.0.0-patch1", -1}, {"1.0.0-beta10", "1.0.0-beta9", 1}, {"1.10", "1.9", 1},
      {"1.0.0.1", "1.0.0", 1},       {"2.x-dev", "2.99", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_packagist_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_packagist_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
  EXPECT_TRUE(packagist_branch("dev-main"));
  EXPECT_FALSE(valid_packagist_version("dev-main"));
  EXPECT_TRUE(valid_packagist_version("2.x-dev"));
}

// Where OSV's order (PHP's version_compare without a leading "v") and
// Composer's (normalise, then version_compare) disagree: regscan gives OSV's
// answer, and both references are run to show the two answers are real.
TEST(packagist_version, osv_order_not_composer_order) {
  struct tc {
    const char* a;
    const char* b;
    int osv, composer;
  };
  const tc cases[] = {
      {"v3.0", "v3.0.0-beta", -1, 1}, {"3.0", "3.0.0-beta", -1, 1}, {"1.0", "1.0.0", -1, 0},
      {"2.x-dev", "2.99", -1, 1},     {"1.0-p1", "1.0", 1, 1},      {"1.0-RC1", "1.0rc1", 0, 0},
      {"1.0.0-alpha", "1.0.0-dev", 1, 1}, {"v1.2.3", "1.2.3", 0, 0},
  };
  pair_list pairs;
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_packagist_versions(c.a, c.b)), c.osv) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_packagist_versions(c.b, c.a)), -c.osv) << c.b << " vs " << c.a;
    pairs.emplace_back(c.a, c.b);
  }
  if (!have_composer())
    GTEST_SKIP() << "php or php-composer-semver is not installed";
  auto osv = run_reference(reference + " osv", pairs);
  auto composer = run_reference(reference, pairs);
  ASSERT_EQ(osv.size(), pairs.size());
  ASSERT_EQ(composer.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(osv[i], std::to_string(cases[i].osv)) << pairs[i].first << " vs " << pairs[i].second;
    EXPECT_EQ(composer[i], std::to_string(cases[i].composer))
      << pairs[i].first << " vs " << pairs[i].second;
  }
}

std::string random_composer(random_source& r) {
  static const std::vector<std::string> words{"stable", "STABLE", "beta", "b",  "RC", "rc",
                                              "alpha",  "a",      "patch", "pl", "p",  "Beta"};
  static const std::vector<std::string> seps{"", ".", "-", "_"};
  static const std::vector<std::string> devs{"-dev", ".dev", "dev", "-DEV"};
  if (r.pick(25) == 0)
    return r.one_of(std::vector<std::string>{"dev-main", "master", "dev-1.x", "trunk"});
  std::string v = r.pick(5) == 0 ? (r.pick(2) ? "v" : "V") : "";
  if (r.pick(8) == 0) { // date-based
    v += "20" + std::to_string(10 + r.pick(20));
    for (size_t n = 1 + r.pick(4); n > 0; --n)
      v += r.one_of(std::vector<std::string>{"", ".", "-", ":"}) + std::to_string(10 + r.pick(20));
  } else {
    v += r.number(true);
    for (size_t n = r.pick(4); n > 0; --n)
      v += "." + (r.pick(40) == 0 ? std::string{"x"} : r.number(true));
  }
  if (r.pick(2) == 0) {
    v += r.one_of(seps) + r.one_of(words);
    for (size_t n = r.pick(3); n > 0; --n)
      v += r.one_of(std::vector<std::string>{"", ".", "-"}) + r.number();
  }
  if (r.pick(5) == 0)
    v += r.one_of(devs);
  if (r.pick(12) == 0)
    v += "+build." + r.number();
  return v;
}

TEST(packagist_version, same_as_osv_order_on_random_pairs) {
  if (!have_composer())
    GTEST_SKIP() << "php or php-composer-semver is not installed";
  random_source r{1955};
  pair_list pairs;
  while (pairs.size() < 6000) {
    std::string a = random_composer(r);
    std::string b = pairs.size() % 3 == 0 ? r.mutate(a, "019.-_vabdeRCpx+") : random_composer(r);
    pairs.emplace_back(std::move(a), std::move(b));
  }
  expect_same_as_reference(compare_packagist_versions, reference + " osv", pairs,
                           valid_packagist_version);
}

TEST(packagist_version, normalizes_as_composer_on_random_versions) {
  if (!have_composer())
    GTEST_SKIP() << "php or php-composer-semver is not installed";
  random_source r{1956};
  pair_list versions;
  while (versions.size() < 6000) {
    std::string v = random_composer(r);
    versions.emplace_back(versions.size() % 2 ? r.mutate(v, "019.-_vabdeRCpx+@ ") : v, "");
  }
  auto answers = run_reference(reference + " normalize", versions);
  ASSERT_EQ(answers.size(), versions.size());
  int mismatches = 0;
  for (size_t i = 0; i < versions.size() && mismatches < 20; ++i) {
    std::string got = normalize_composer_version(versions[i].first);
    std::string want = answers[i] == "E" ? "" : answers[i];
    EXPECT_EQ(got, want) << versions[i].first;
    mismatches += got != want;
  }
}

TEST(packagist_version, same_as_php_version_compare) {
  if (!have("php -v"))
    GTEST_SKIP() << "php is not installed";
  random_source r{1957};
  static const std::vector<std::string> parts{"1",  "0",     "10", "dev", "alpha", "a", "beta", "b",
                                              "RC", "rc",    "pl", "p",   "patch", "x", "#",    "foo",
                                              "",   "00012", "9223372036854775808"};
  pair_list pairs;
  while (pairs.size() < 6000) {
    std::string a;
    for (size_t n = 1 + r.pick(4); n > 0; --n)
      a += r.one_of(parts) + r.one_of(std::vector<std::string>{".", "-", "_", "+", "", "~"});
    std::string b = r.mutate(r.mutate(a, "01.-_+abcdelpRC#"), "01.-_+abcdelpRC#");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  // PHP's own order is not antisymmetric on odd strings ("pl~" against
  // "pl~_" is -1 both ways), so only the answers are compared.
  auto answers = run_reference(reference + " raw", pairs);
  ASSERT_EQ(answers.size(), pairs.size());
  int mismatches = 0;
  for (size_t i = 0; i < pairs.size() && mismatches < 20; ++i) {
    int got = sign(php_version_compare(pairs[i].first, pairs[i].second));
    EXPECT_EQ(std::to_string(got), answers[i]) << pairs[i].first << " vs " << pairs[i].second;
    mismatches += std::to_string(got) != answers[i];
  }
}

// Inputs fuzz_versions found (tests/fuzz): a version that is not equal to
// itself breaks every sort and range check that uses the order.
TEST(packagist_version, total_order_on_fuzzed_versions) {
  const std::vector<std::pair<std::string, std::string>> found{
      {"0", std::string("9+de\x03.", 6)},
      {"1.0", "1.0.\x7f"},
      {"2.0~", "2.0"},
  };
  for (const auto& [a, b] : found) {
    EXPECT_EQ(compare_packagist_versions(a, a), 0) << a;
    EXPECT_EQ(compare_packagist_versions(b, b), 0) << b;
    EXPECT_EQ(sign(compare_packagist_versions(a, b)), -sign(compare_packagist_versions(b, a)))
        << a << " vs " << b;
  }
}

// packagist.txt: the version bounds written in the constraints of the
// Packagist advisories (roave/security-advisories' conflict list), such as
// "8.0.0.0-RC2-dev", "2.3.2.0-patch2" or "2017.12.0.1-dev", and the
// versions of the composer cataloger's testdata.
TEST(packagist_version, same_as_osv_order_on_real_versions) {
  if (!have_composer())
    GTEST_SKIP() << "php or php-composer-semver is not installed";
  auto versions = real_versions("packagist.txt");
  ASSERT_GT(versions.size(), 300u);
  expect_same_as_reference(compare_packagist_versions, reference + " osv",
                           neighbour_pairs(versions, compare_packagist_versions, 2000),
                           valid_packagist_version);
}

} // namespace
} // namespace regscan
