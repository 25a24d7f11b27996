#pragma once
// CVSS v3.0/v3.1 base scores, from FIRST's specification.
#include <optional>
#include <string>
#include <string_view>

namespace regscan {

/// The base score of a CVSS v3 vector ("CVSS:3.1/AV:N/AC:L/..."; the prefix
/// may be left out). nullopt when a base metric is missing, repeated or has
/// an unknown value, or the vector is of another CVSS version.
std::optional<double> cvss3_base_score(std::string_view vector);

/// "None", "Low", "Medium", "High" or "Critical" by the v3 thresholds.
std::string severity_from_score(double score);

} // namespace regscan
