#pragma once
// The details page of one image: which of its vulnerabilities and secrets a
// view's filters keep, one vulnerability by id, and its risk summary.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.hpp"

namespace regscan {

/// A severity filter: "" (any), "high", "critical|high", or ">=high" (high or
/// worse; also >, <=, <). Case-insensitive.
bool severity_wanted(std::string_view filter, std::string_view severity);

struct vuln_filter {
  std::string severity; // see severity_wanted
  std::string search;   // substring of the id, an alias, the package or the title
  bool fixable = false; // only those with a fixed version
};
bool wanted(const vuln_filter& f, const finding& v);

struct secret_filter {
  std::string severity; // see severity_wanted
  std::string rule;     // rule id, exactly (any case)
  std::string category; // exactly (any case)
};
bool wanted(const secret_filter& f, const secret_finding& s);

/// The findings of the advisory `id`, or of the advisories that have it as an alias.
std::vector<const finding*> findings_of(const std::vector<finding>& findings, std::string_view id);

/// The image's risk in numbers, and the worst thing found.
struct risk_summary {
  bool scanned = false; // a scan finished
  int vulnerabilities = 0;
  std::map<std::string, int> vulnerabilities_by_severity;
  int fixable = 0;
  int secrets = -1; // -1: not looked for
  std::map<std::string, int> secrets_by_severity;
  int malware = -1; // -1: not looked for
  struct worst_finding {
    std::string kind; // vulnerability, secret
    std::string id;   // advisory or rule id
    std::string severity;
    std::string where; // package and version, or file and line
  };
  std::optional<worst_finding> worst;
};
risk_summary summarize_risk(const image_record& img, const scan_result* result);

} // namespace regscan
