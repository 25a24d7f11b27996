#pragma once
// CVSS v3.0/v3.1 and v4.0 scores, from FIRST's specifications.
#include <optional>
#include <string>
#include <string_view>

namespace regscan {

/// The base score of a CVSS v3 vector ("CVSS:3.1/AV:N/AC:L/..."; the prefix
/// may be left out). nullopt when a base metric is missing, repeated or has
/// an unknown value, or the vector is of another CVSS version.
std::optional<double> cvss3_base_score(std::string_view vector);

/// The score of a CVSS v4.0 vector ("CVSS:4.0/AV:N/AC:L/AT:N/..."; the
/// prefix is required), as FIRST's v4.0 calculator computes it: the
/// MacroVector's score from the standard's table, less the mean of its
/// severity distances to the next lower MacroVectors. Threat (E),
/// environmental (CR, MAV, ...) and supplemental metrics may be given; with
/// base_only the first two are ignored, giving the CVSS-B score. nullopt
/// when a base metric is missing, a metric is repeated or unknown, or a
/// value is not one the metric allows.
std::optional<double> cvss4_score(std::string_view vector, bool base_only = false);

/// The CVSS-B score of a v4.0 vector: cvss4_score(vector, true).
inline std::optional<double> cvss4_base_score(std::string_view vector) {
  return cvss4_score(vector, true);
}

/// "None", "Low", "Medium", "High" or "Critical" by the thresholds that
/// v3.x and v4.0 share.
std::string severity_from_score(double score);

} // namespace regscan
