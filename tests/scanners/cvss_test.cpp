#include "scanners/cvss.hpp"

#include <gtest/gtest.h>

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

} // namespace
} // namespace regscan
