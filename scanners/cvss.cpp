#include "scanners/cvss.hpp"

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
