#include "scanners/versions/maven_version.hpp"

#include <cctype>

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

using namespace testing_versions;

// ComparableVersion from the maven-artifact jar of Debian's maven package.
const std::string jar = "/usr/share/maven/lib/maven-artifact-3.x.jar";
const std::string reference = "java -cp " + jar + " " + reference_dir() + "/MavenCompare.java";
bool have_maven() { return have("test -r " + jar + " && java -version"); }

TEST(maven_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0.0", 0},          {"1.0", "1", 0},              {"1.0-alpha-1", "1.0", -1},
      {"1.0-alpha1", "1.0-alpha-1", 0}, {"1.0-a1", "1.0-alpha1", 0}, {"1.0-beta", "1.0-milestone", -1},
      {"1.0-rc1", "1.0-cr1", 0},    {"1.0-SNAPSHOT", "1.0", -1},  {"1.0-rc1", "1.0-SNAPSHOT", -1},
      {"1.0.Final", "1.0", 0},      {"1.0-ga", "1.0", 0},         {"1.0-sp1", "1.0", 1},
      {"1.0-xyz", "1.0-sp", 1},     {"1.0.1", "1.0-xyz", 1},      {"2.12.7.1", "2.12.7", 1},
      {"31.1-jre", "31.1", 1},      {"4.1.86.Final", "4.1.100.Final", -1},
      // MNG-7644, fixed in 3.8.7 and 3.9.0 (before it: > and <, <, >).
      {"1.0.0.RC1", "1.0.0-RC2", -1}, {"1.0.X", "1.0.0.X", 0}, {"1-X", "1.0.0.X", 0},
      {"1.0.0.X1", "1.0.0-X2", -1}, {"2.0.a1", "2.0-a2", -1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_maven_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_maven_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

std::string random_maven(random_source& r) {
  static const std::vector<std::string> words{"alpha", "a", "b", "m", "beta", "milestone", "rc", "cr",
                                              "ga", "final", "release", "sp", "snapshot", "SNAPSHOT",
                                              "xyz", "jre", "Final", ""};
  std::string v = r.number(true);
  for (size_t n = r.pick(6); n > 0; --n) {
    size_t kind = r.pick(4);
    v += kind == 0 ? "-" : kind == 1 && std::isdigit(static_cast<unsigned char>(v.back())) ? "" : ".";
    v += r.pick(2) ? r.one_of(words) : r.number(true);
  }
  return v;
}

TEST(maven_version, same_as_comparable_version_on_random_pairs) {
  if (!have_maven())
    GTEST_SKIP() << "java or maven is not installed";
  random_source r{3141};
  pair_list pairs;
  while (pairs.size() < 5000) {
    std::string a = random_maven(r);
    std::string b = pairs.size() % 3 == 0 ? random_maven(r) : r.mutate(a, "019.-abmrsx");
    pairs.emplace_back(std::move(a), std::move(b));
  }
  auto versions = real_versions("maven.txt");
  ASSERT_GT(versions.size(), 50u);
  for (const auto& p : neighbour_pairs(versions, compare_maven_versions))
    pairs.push_back(p);
  expect_same_as_reference(compare_maven_versions, reference, pairs);
}

} // namespace
} // namespace regscan
