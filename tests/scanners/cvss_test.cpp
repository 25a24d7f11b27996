#include "scanners/match/cvss.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/scanners/version_reference.hpp"

namespace regscan {
namespace {

TEST(cvss, known_base_scores) {
  struct tc {
    const char* vector;
    double score;
  };
  const tc cases[] = {
      {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
      {"AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
      {"AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1}, // typical XSS
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
      {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
      {"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 8.2},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
      // Common NVD scores.
      {"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N", 3.8},
      {"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4},
      {"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.0},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3},
      {"CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5},
      // Temporal and environmental metrics do not change the base score.
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H", 9.8},
      // Order does not matter.
      {"CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 9.8},
  };
  for (const auto& c : cases) {
    auto score = cvss3_base_score(c.vector);
    ASSERT_TRUE(score.has_value()) << c.vector;
    EXPECT_DOUBLE_EQ(*score, c.score) << c.vector;
  }
}

TEST(cvss, bad_vectors) {
  for (const char* v : {"", "CVSS:3.1/", "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          // A missing
                        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X",      // bad value
                        "AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", // repeated
                        "AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
                        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A"})
    EXPECT_FALSE(cvss3_base_score(v).has_value()) << v;
}

TEST(cvss, severity_thresholds) {
  EXPECT_EQ(severity_from_score(0.0), "None");
  EXPECT_EQ(severity_from_score(0.1), "Low");
  EXPECT_EQ(severity_from_score(3.9), "Low");
  EXPECT_EQ(severity_from_score(4.0), "Medium");
  EXPECT_EQ(severity_from_score(6.9), "Medium");
  EXPECT_EQ(severity_from_score(7.0), "High");
  EXPECT_EQ(severity_from_score(8.9), "High");
  EXPECT_EQ(severity_from_score(9.0), "Critical");
  EXPECT_EQ(severity_from_score(10.0), "Critical");
}

TEST(cvss4, known_scores) {
  struct tc {
    const char* vector;
    double score;
  };
  // Scores the reference calculator gives too. 5.3 by hand: MacroVector
  // 102201 scores 5.3, and the vector is at its highest-severity vectors
  // in every class that has a lower MacroVector, so nothing is taken off.
  const tc cases[] = {
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0},
      {"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.3},
      {"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0},
      // Threat and environmental metrics count; supplemental ones do not.
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 8.1},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/U:Red", 9.3},
      // Order does not matter.
      {"CVSS:4.0/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:N/PR:N/AT:N/AC:L/AV:N", 9.3},
  };
  for (const auto& c : cases) {
    auto score = cvss4_score(c.vector);
    ASSERT_TRUE(score.has_value()) << c.vector;
    EXPECT_DOUBLE_EQ(*score, c.score) << c.vector;
  }
  // The base score leaves threat and environmental metrics out.
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/MAV:P"),
            9.3);
}

TEST(cvss4, bad_vectors) {
  for (const char* v : {"", "CVSS:4.0/", "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",      // SA missing
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", // S is MSI's
                        "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", // base has no X
                        "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/Q:X",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:"})
    EXPECT_FALSE(cvss4_score(v).has_value()) << v;
}

// The metrics of a v4.0 vector and their values, base first.
struct metric_values {
  const char* name;
  std::vector<std::string> values;
};
const std::vector<metric_values> base_metrics = {
    {"AV", {"N", "A", "L", "P"}}, {"AC", {"L", "H"}},           {"AT", {"N", "P"}},
    {"PR", {"N", "L", "H"}},      {"UI", {"N", "P", "A"}},      {"VC", {"H", "L", "N"}},
    {"VI", {"H", "L", "N"}},      {"VA", {"H", "L", "N"}},      {"SC", {"H", "L", "N"}},
    {"SI", {"H", "L", "N"}},      {"SA", {"H", "L", "N"}},
};
const std::vector<metric_values> other_metrics = {
    {"E", {"X", "A", "P", "U"}},        {"CR", {"X", "H", "M", "L"}},
    {"IR", {"X", "H", "M", "L"}},       {"AR", {"X", "H", "M", "L"}},
    {"MAV", {"X", "N", "A", "L", "P"}}, {"MAC", {"X", "L", "H"}},
    {"MAT", {"X", "N", "P"}},           {"MPR", {"X", "N", "L", "H"}},
    {"MUI", {"X", "N", "P", "A"}},      {"MVC", {"X", "H", "L", "N"}},
    {"MVI", {"X", "H", "L", "N"}},      {"MVA", {"X", "H", "L", "N"}},
    {"MSC", {"X", "H", "L", "N"}},      {"MSI", {"X", "S", "H", "L", "N"}},
    {"MSA", {"X", "S", "H", "L", "N"}}, {"S", {"X", "N", "P"}},
    {"AU", {"X", "N", "Y"}},            {"R", {"X", "A", "U", "I"}},
    {"V", {"X", "D", "C"}},             {"RE", {"X", "L", "M", "H"}},
    {"U", {"X", "Clear", "Green", "Amber", "Red"}},
};

// ae-cvss-calculator from the npm registry, installed by
// tools/install-deps.sh into REGSCAN_NODE_DIR (default
// ~/.cache/regscan/node).
std::string node_modules() {
  const char* dir = std::getenv("REGSCAN_NODE_DIR");
  const char* home = std::getenv("HOME");
  std::string base = dir != nullptr ? dir : std::string{home != nullptr ? home : ""} + "/.cache/regscan/node";
  return base + "/node_modules";
}

std::string format_score(double s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Every vector must get the reference's score and severity; base_vectors
// (the same vectors less their threat and environmental metrics) must get
// cvss4_base_score's.
void expect_same_as_reference(const std::vector<std::string>& vectors,
                              const std::vector<std::string>& base_vectors) {
  std::string command = "NODE_PATH='" + node_modules() + "' node " +
                        testing_versions::reference_dir() + "/cvss4_score.js";
  std::vector<std::string> input = vectors;
  input.insert(input.end(), base_vectors.begin(), base_vectors.end());
  std::string file = ::testing::TempDir() + "regscan_cvss4_vectors_" + std::to_string(::getpid());
  {
    std::ofstream out{file};
    for (const auto& v : input)
      out << v << '\n';
  }
  std::vector<std::string> answers;
  if (FILE* p = ::popen((command + " < '" + file + "'").c_str(), "r")) {
    char buf[64];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
      std::string s{buf};
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
      answers.push_back(s);
    }
    ::pclose(p);
  }
  std::remove(file.c_str());
  ASSERT_EQ(answers.size(), input.size()) << "the reference did not answer";
  int mismatches = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    bool base = i >= vectors.size();
    auto score = base ? cvss4_base_score(vectors[i - vectors.size()]) : cvss4_score(input[i]);
    ASSERT_TRUE(score.has_value()) << input[i];
    std::string got = format_score(*score) + "\t" + upper(severity_from_score(*score));
    EXPECT_EQ(got, answers[i]) << (base ? "base score of " + vectors[i - vectors.size()] : input[i]);
    if (got != answers[i] && ++mismatches > 20)
      FAIL() << "too many mismatches";
  }
  std::printf("[ reference ] %zu vectors and %zu base vectors scored alike\n", vectors.size(),
              base_vectors.size());
}

bool have_reference() {
  return testing_versions::have("NODE_PATH='" + node_modules() + "' node -e \"require('ae-cvss-calculator')\"");
}

TEST(cvss4, same_as_reference_on_every_base_vector) {
  if (!have_reference())
    GTEST_SKIP() << "node or ae-cvss-calculator (tools/install-deps.sh) is not installed in "
                 << node_modules();
  // All 104,976 vectors of base metrics.
  std::vector<std::string> vectors;
  std::vector<size_t> at(base_metrics.size(), 0);
  for (;;) {
    std::string v = "CVSS:4.0";
    for (size_t m = 0; m < base_metrics.size(); ++m)
      v += std::string{"/"} + base_metrics[m].name + ":" + base_metrics[m].values[at[m]];
    vectors.push_back(std::move(v));
    size_t m = 0;
    while (m < at.size() && ++at[m] == base_metrics[m].values.size())
      at[m++] = 0;
    if (m == at.size())
      break;
  }
  ASSERT_EQ(vectors.size(), 104976u);
  expect_same_as_reference(vectors, {});
}

TEST(cvss4, same_as_reference_with_threat_and_environmental_metrics) {
  if (!have_reference())
    GTEST_SKIP() << "node or ae-cvss-calculator (tools/install-deps.sh) is not installed in "
                 << node_modules();
  testing_versions::random_source r{4040};
  std::vector<std::string> vectors, base_vectors;
  while (vectors.size() < 6000) {
    std::vector<std::string> items, base_items;
    for (const auto& m : base_metrics) {
      items.push_back(std::string{m.name} + ":" + r.one_of(m.values));
      base_items.push_back(items.back());
    }
    // Each other metric now and then, so that many vectors have a few.
    for (const auto& m : other_metrics)
      if (r.pick(3) == 0)
        items.push_back(std::string{m.name} + ":" + r.one_of(m.values));
    // The reference reads any order too: shuffle some.
    if (r.pick(4) == 0)
      for (size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[r.pick(i)]);
    std::string v = "CVSS:4.0", b = "CVSS:4.0";
    for (const auto& i : items)
      v += "/" + i;
    for (const auto& i : base_items)
      b += "/" + i;
    vectors.push_back(std::move(v));
    base_vectors.push_back(std::move(b));
  }
  expect_same_as_reference(vectors, base_vectors);
}

} // namespace
} // namespace regscan
