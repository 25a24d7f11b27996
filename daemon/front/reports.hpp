#pragma once
// One image's scan result as a report file: regscan's own JSON, SARIF 2.1.0
// (code-scanning tools), CycloneDX 1.5 with vulnerabilities (Dependency-Track).
#include <string>
#include <string_view>

#include "daemon/image_query.hpp"
#include "storage/records.hpp"

namespace regscan {

std::string json_report(const image_row& row, const scan_result& result);
std::string sarif_report(const image_row& row, const scan_result& result);
std::string cyclonedx_report(const image_row& row, const scan_result& result);

/// The package URL (purl-spec) of a package, from its OSV ecosystem; "" when
/// the ecosystem has no purl type or the package has a kind (not from its registry).
std::string package_url(const package& p);

} // namespace regscan
