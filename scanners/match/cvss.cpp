#include "scanners/match/cvss.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace regscan {
namespace {

// Roundup as CVSS 3.1 appendix A defines it: integer arithmetic, so that
// e.g. 4.000000000000001 rounds to 4.0 and not to 4.1.
double roundup(double input) {
  auto int_input = static_cast<int64_t>(std::llround(input * 100000.0));
  if (int_input % 10000 == 0)
    return static_cast<double>(int_input) / 100000.0;
  return static_cast<double>(int_input / 10000 + 1) / 10.0;
}

// The metric's weight for value v, or a negative number for a bad value.
double weight(std::string_view metric, std::string_view v, bool changed) {
  if (metric == "AV") {
    if (v == "N") return 0.85;
    if (v == "A") return 0.62;
    if (v == "L") return 0.55;
    if (v == "P") return 0.2;
  } else if (metric == "AC") {
    if (v == "L") return 0.77;
    if (v == "H") return 0.44;
  } else if (metric == "PR") {
    if (v == "N") return 0.85;
    if (v == "L") return changed ? 0.68 : 0.62;
    if (v == "H") return changed ? 0.5 : 0.27;
  } else if (metric == "UI") {
    if (v == "N") return 0.85;
    if (v == "R") return 0.62;
  } else if (metric == "C" || metric == "I" || metric == "A") {
    if (v == "H") return 0.56;
    if (v == "L") return 0.22;
    if (v == "N") return 0.0;
  }
  return -1.0;
}

constexpr std::string_view base_metrics[] = {"AV", "AC", "PR", "UI", "S", "C", "I", "A"};

} // namespace

std::optional<double> cvss3_base_score(std::string_view vector) {
  if (vector.starts_with("CVSS:")) {
    if (!vector.starts_with("CVSS:3.0/") && !vector.starts_with("CVSS:3.1/"))
      return std::nullopt;
    vector.remove_prefix(9);
  }
  // Values of the base metrics, in base_metrics order; temporal and
  // environmental metrics are allowed and ignored.
  std::string_view values[std::size(base_metrics)];
  // Every '/'-separated item, the empty one after a trailing '/' included.
  for (size_t pos = 0;;) {
    auto slash = vector.find('/', pos);
    std::string_view item = vector.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    auto colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size())
      return std::nullopt;
    std::string_view key = item.substr(0, colon);
    auto it = std::find(std::begin(base_metrics), std::end(base_metrics), key);
    if (it != std::end(base_metrics)) {
      auto& slot = values[it - std::begin(base_metrics)];
      if (!slot.empty())
        return std::nullopt;
      slot = item.substr(colon + 1);
    }
    if (slash == std::string_view::npos)
      break;
    pos = slash + 1;
  }
  for (auto v : values)
    if (v.empty())
      return std::nullopt;
  std::string_view scope = values[4];
  if (scope != "U" && scope != "C")
    return std::nullopt;
  bool changed = scope == "C";
  double w[std::size(base_metrics)] = {};
  for (size_t i = 0; i < std::size(base_metrics); ++i) {
    if (i == 4)
      continue;
    w[i] = weight(base_metrics[i], values[i], changed);
    if (w[i] < 0)
      return std::nullopt;
  }
  double iss = 1.0 - (1.0 - w[5]) * (1.0 - w[6]) * (1.0 - w[7]);
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  double exploitability = 8.22 * w[0] * w[1] * w[2] * w[3];
  if (impact <= 0)
    return 0.0;
  if (changed)
    return roundup(std::min(1.08 * (impact + exploitability), 10.0));
  return roundup(std::min(impact + exploitability, 10.0));
}

namespace {

// CVSS v4.0 metrics and the values each allows ("X" is "not defined").
struct v4_metric {
  std::string_view name;
  std::string_view values[6];
};

constexpr v4_metric v4_metrics[] = {
    // Base: all required.
    {"AV", {"N", "A", "L", "P"}}, {"AC", {"L", "H"}}, {"AT", {"N", "P"}},
    {"PR", {"N", "L", "H"}}, {"UI", {"N", "P", "A"}},
    {"VC", {"H", "L", "N"}}, {"VI", {"H", "L", "N"}}, {"VA", {"H", "L", "N"}},
    {"SC", {"H", "L", "N"}}, {"SI", {"H", "L", "N"}}, {"SA", {"H", "L", "N"}},
    // Threat.
    {"E", {"X", "A", "P", "U"}},
    // Environmental.
    {"CR", {"X", "H", "M", "L"}}, {"IR", {"X", "H", "M", "L"}}, {"AR", {"X", "H", "M", "L"}},
    {"MAV", {"X", "N", "A", "L", "P"}}, {"MAC", {"X", "L", "H"}}, {"MAT", {"X", "N", "P"}},
    {"MPR", {"X", "N", "L", "H"}}, {"MUI", {"X", "N", "P", "A"}},
    {"MVC", {"X", "H", "L", "N"}}, {"MVI", {"X", "H", "L", "N"}}, {"MVA", {"X", "H", "L", "N"}},
    {"MSC", {"X", "H", "L", "N"}}, {"MSI", {"X", "S", "H", "L", "N"}},
    {"MSA", {"X", "S", "H", "L", "N"}},
    // Supplemental: no effect on the score.
    {"S", {"X", "N", "P"}}, {"AU", {"X", "N", "Y"}}, {"R", {"X", "A", "U", "I"}},
    {"V", {"X", "D", "C"}}, {"RE", {"X", "L", "M", "H"}},
    {"U", {"X", "Clear", "Green", "Amber", "Red"}},
};
constexpr size_t v4_base_count = 11;
constexpr size_t v4_threat = 11;       // E
constexpr size_t v4_requirements = 12; // CR, IR, AR
constexpr size_t v4_modified = 15;     // MAV .. MSA, in base order
constexpr size_t v4_scored = 26;       // the metrics before the supplemental ones

// The standard's score of every MacroVector, in tenths, indexed by
// eq1 eq2 eq3 eq4 eq5 eq6 as digits of a mixed-radix number (3 2 3 3 3 2);
// -1 where eq3 = 2 and eq6 = 0, which cannot occur.
constexpr int8_t macrovector_scores[3 * 2 * 3 * 3 * 3 * 2] = {
    // rows: eq1 eq2 eq3; columns: eq4 eq5 eq6
    /* 000 */ 100, 99, 98, 95, 95, 92,100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68,
    /* 001 */  98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48,
    /* 002 */  -1, 92, -1, 82, -1, 72, -1, 79, -1, 69, -1, 50, -1, 69, -1, 55, -1, 27,
    /* 010 */  99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53,
    /* 011 */  95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30,
    /* 012 */  -1, 86, -1, 75, -1, 52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17,
    /* 100 */  98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49,
    /* 101 */  94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25,
    /* 102 */  -1, 83, -1, 70, -1, 54, -1, 65, -1, 58, -1, 26, -1, 53, -1, 21, -1, 13,
    /* 110 */  95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30,
    /* 111 */  89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    /* 112 */  -1, 71, -1, 59, -1, 30, -1, 58, -1, 26, -1, 15, -1, 23, -1, 13, -1,  6,
    /* 200 */  93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22,
    /* 201 */  85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19,  8,
    /* 202 */  -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11, -1, 24, -1,  9, -1,  4,
    /* 210 */  88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
    /* 211 */  75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20,  9, 46, 18, 17,  7,  8,  2,
    /* 212 */  -1, 53, -1, 24, -1, 14, -1, 24, -1, 12, -1,  5, -1, 10, -1,  3, -1,  1,
};

int macrovector_score(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6) {
  if (eq1 > 2 || eq2 > 1 || eq3 > 2 || eq4 > 2 || eq5 > 2 || eq6 > 1)
    return -1;
  return macrovector_scores[((((eq1 * 2 + eq2) * 3 + eq3) * 3 + eq4) * 3 + eq5) * 2 + eq6];
}

// The highest-severity vectors of each MacroVector level (the standard's
// "max composed" vectors), one letter per metric in the order named.
struct max_vectors {
  std::string_view v[5];
};
constexpr max_vectors eq1_max[] = {{"NNN"}, {"ANN", "NLN", "NNP"}, {"PNN", "ALP"}}; // AV PR UI
constexpr max_vectors eq2_max[] = {{"LN"}, {"HN", "LP"}};                             // AC AT
constexpr max_vectors eq3eq6_max[3][2] = {                // VC VI VA CR IR AR
    {{"HHHHHH"}, {"HHLMMH", "HHHMMM"}},
    {{"LHHHHH", "HLHHHH"}, {"LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM"}},
    {{}, {"LLLHHH"}},
};
constexpr max_vectors eq4_max[] = {{"HSS"}, {"HHH"}, {"LLL"}}; // SC SI SA

// The depth of each MacroVector level, in severity steps of 0.1.
constexpr int eq1_depth[] = {1, 4, 5};
constexpr int eq2_depth[] = {1, 2};
constexpr int eq3eq6_depth[3][2] = {{7, 6}, {8, 8}, {0, 10}};
constexpr int eq4_depth[] = {6, 5, 4};

// Severity steps from the most severe value: the position in the metric's
// list ("SHLN" serves SC as well, whose values start at H).
int steps(std::string_view order, char value) {
  return static_cast<int>(order.find(value));
}

// The sum of the severity distances of values (one letter per metric)
// from the first max vector they do not exceed in any metric; from the
// last one when they exceed all (FIRST's calculator keeps that one too).
int distance(const max_vectors& maxes, std::string_view values, const std::string_view* orders) {
  int sum = 0;
  for (std::string_view max : maxes.v) {
    if (max.empty())
      break;
    sum = 0;
    bool below = true;
    for (size_t i = 0; i < values.size(); ++i) {
      int d = steps(orders[i], values[i]) - steps(orders[i], max[i]);
      below = below && d >= 0;
      sum += d;
    }
    if (below)
      break;
  }
  return sum;
}

} // namespace

std::optional<double> cvss4_score(std::string_view vector, bool base_only) {
  if (!vector.starts_with("CVSS:4.0/"))
    return std::nullopt;
  vector.remove_prefix(9);
  std::string_view given[std::size(v4_metrics)];
  for (size_t pos = 0;;) {
    auto slash = vector.find('/', pos);
    std::string_view item = vector.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    auto colon = item.find(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    std::string_view key = item.substr(0, colon);
    std::string_view value = item.substr(colon + 1);
    auto m = std::find_if(std::begin(v4_metrics), std::end(v4_metrics),
                          [&](const v4_metric& x) { return x.name == key; });
    if (m == std::end(v4_metrics) || std::find(std::begin(m->values), std::end(m->values), value) ==
                                         std::end(m->values) || value.empty())
      return std::nullopt;
    auto& slot = given[m - std::begin(v4_metrics)];
    if (!slot.empty())
      return std::nullopt;
    slot = value;
    if (slash == std::string_view::npos)
      break;
    pos = slash + 1;
  }
  for (size_t i = 0; i < v4_base_count; ++i)
    if (given[i].empty())
      return std::nullopt;

  // The value in force of each metric: a modified base metric overrides
  // its base metric; an undefined E counts as A (Attacked), an undefined
  // CR, IR or AR as H, the worst cases.
  auto defined = [&](size_t i) {
    return !base_only && !given[i].empty() && given[i] != "X" ? given[i][0] : '\0';
  };
  char v[v4_scored] = {};
  for (size_t i = 0; i < v4_base_count; ++i) {
    char modified = defined(v4_modified + i);
    v[i] = modified != '\0' ? modified : given[i][0];
  }
  v[v4_threat] = defined(v4_threat) != '\0' ? defined(v4_threat) : 'A';
  for (size_t i = v4_requirements; i < v4_modified; ++i)
    v[i] = defined(i) != '\0' ? defined(i) : 'H';
  const char av = v[0], ac = v[1], at = v[2], pr = v[3], ui = v[4], vc = v[5], vi = v[6],
             va = v[7], sc = v[8], si = v[9], sa = v[10], e = v[11], cr = v[12], ir = v[13],
             ar = v[14];

  // No impact on the vulnerable or any subsequent system.
  if (vc == 'N' && vi == 'N' && va == 'N' && sc == 'N' && si == 'N' && sa == 'N')
    return 0.0;

  // The MacroVector: the six equivalence classes.
  int eq1 = av == 'N' && pr == 'N' && ui == 'N'                   ? 0
            : (av == 'N' || pr == 'N' || ui == 'N') && av != 'P' ? 1
                                                                  : 2;
  int eq2 = ac == 'L' && at == 'N' ? 0 : 1;
  int eq3 = vc == 'H' && vi == 'H' ? 0 : vc == 'H' || vi == 'H' || va == 'H' ? 1 : 2;
  int eq4 = si == 'S' || sa == 'S' ? 0 : sc == 'H' || si == 'H' || sa == 'H' ? 1 : 2;
  int eq5 = e == 'A' ? 0 : e == 'P' ? 1 : 2;
  int eq6 = (cr == 'H' && vc == 'H') || (ir == 'H' && vi == 'H') || (ar == 'H' && va == 'H') ? 0 : 1;
  double score = macrovector_score(eq1, eq2, eq3, eq4, eq5, eq6) / 10.0;

  // The score of the next lower MacroVector along each class, -1 when
  // there is none. EQ3 and EQ6 move together: 00 goes to the higher of
  // 01 and 10; 01 and 11 to eq3 + 1; 10 to 11; 21 has none.
  int lower_eq3eq6 = eq3 == 0 && eq6 == 0
                         ? std::max(macrovector_score(eq1, eq2, 0, eq4, eq5, 1),
                                    macrovector_score(eq1, eq2, 1, eq4, eq5, 0))
                     : eq3 == 1 && eq6 == 0 ? macrovector_score(eq1, eq2, 1, eq4, eq5, 1)
                                            : macrovector_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  const int lower[5] = {
      macrovector_score(eq1 + 1, eq2, eq3, eq4, eq5, eq6),
      macrovector_score(eq1, eq2 + 1, eq3, eq4, eq5, eq6),
      lower_eq3eq6,
      macrovector_score(eq1, eq2, eq3, eq4 + 1, eq5, eq6),
      macrovector_score(eq1, eq2, eq3, eq4, eq5 + 1, eq6),
  };

  // How far the vector lies below its MacroVector's highest-severity
  // vector, as a share of the MacroVector's depth. EQ5 has one vector per
  // level, so its share is 0.
  static constexpr std::string_view eq1_orders[] = {"NALP", "NLH", "NPA"};
  static constexpr std::string_view eq2_orders[] = {"LH", "NP"};
  static constexpr std::string_view eq3eq6_orders[] = {"HLN", "HLN", "HLN", "HML", "HML", "HML"};
  static constexpr std::string_view eq4_orders[] = {"SHLN", "SHLN", "SHLN"};
  const char eq1_values[] = {av, pr, ui}, eq2_values[] = {ac, at},
             eq3eq6_values[] = {vc, vi, va, cr, ir, ar}, eq4_values[] = {sc, si, sa};
  const double share[5] = {
      static_cast<double>(distance(eq1_max[eq1], {eq1_values, 3}, eq1_orders)) / eq1_depth[eq1],
      static_cast<double>(distance(eq2_max[eq2], {eq2_values, 2}, eq2_orders)) / eq2_depth[eq2],
      static_cast<double>(distance(eq3eq6_max[eq3][eq6], {eq3eq6_values, 6}, eq3eq6_orders)) /
          eq3eq6_depth[eq3][eq6],
      static_cast<double>(distance(eq4_max[eq4], {eq4_values, 3}, eq4_orders)) / eq4_depth[eq4],
      0.0,
  };

  // Less the mean, over the classes that have a lower MacroVector, of the
  // score difference to it times that share.
  double sum = 0;
  int classes = 0;
  for (size_t i = 0; i < 5; ++i) {
    if (lower[i] < 0)
      continue;
    sum += (score - lower[i] / 10.0) * share[i];
    ++classes;
  }
  if (classes > 0)
    score -= sum / classes;
  score = std::clamp(score, 0.0, 10.0);
  // One decimal, half up, with the small epsilon FIRST's calculator adds
  // against binary floating-point error.
  return std::floor((score + 1e-6) * 10.0 + 0.5) / 10.0;
}

std::string severity_from_score(double score) {
  if (!(score > 0.0)) // also NaN
    return "None";
  if (score < 4.0)
    return "Low";
  if (score < 7.0)
    return "Medium";
  if (score < 9.0)
    return "High";
  return "Critical";
}

} // namespace regscan
