#include "daemon/image_details.hpp"

#include <algorithm>

#include "daemon/image_query.hpp"

namespace regscan {

namespace {

bool same(std::string_view filter, std::string_view value) {
  return filter.empty() || ascii_lower(filter) == ascii_lower(value);
}

} // namespace

bool severity_wanted(std::string_view filter, std::string_view severity) {
  if (filter.empty())
    return true;
  int have = severity_rank(severity); // 0 = Critical, the worst
  for (const char* op : {">=", "<=", ">", "<"})
    if (filter.starts_with(op)) {
      int want = severity_rank(filter.substr(std::string_view{op}.size()));
      std::string_view o = op;
      return o == ">=" ? have <= want : o == "<=" ? have >= want : o == ">" ? have < want : have > want;
    }
  for (size_t at = 0;;) {
    auto bar = filter.find('|', at);
    if (ascii_lower(filter.substr(at, bar == std::string_view::npos ? bar : bar - at)) == ascii_lower(severity))
      return true;
    if (bar == std::string_view::npos)
      return false;
    at = bar + 1;
  }
}

bool wanted(const vuln_filter& f, const finding& v) {
  if (!severity_wanted(f.severity, v.severity) || (f.fixable && v.fixed_version.empty()))
    return false;
  if (f.search.empty())
    return true;
  auto needle = ascii_lower(f.search);
  auto in = [&](std::string_view s) { return ascii_lower(s).find(needle) != std::string::npos; };
  return in(v.id) || in(v.package) || in(v.source_package) || in(v.title)
         || std::any_of(v.aliases.begin(), v.aliases.end(), in);
}

bool wanted(const secret_filter& f, const secret_finding& s) {
  return severity_wanted(f.severity, s.severity) && same(f.rule, s.rule_id) && same(f.category, s.category);
}

std::vector<const finding*> findings_of(const std::vector<finding>& findings, std::string_view id) {
  std::vector<const finding*> out;
  auto want = ascii_lower(id);
  for (auto& f : findings)
    if (ascii_lower(f.id) == want
        || std::any_of(f.aliases.begin(), f.aliases.end(), [&](auto& a) { return ascii_lower(a) == want; }))
      out.push_back(&f);
  return out;
}

risk_summary summarize_risk(const image_record& img, const scan_result* result) {
  risk_summary r;
  r.scanned = img.last_scan > 0;
  r.vulnerabilities = img.vuln_count;
  r.vulnerabilities_by_severity = img.severity_counts;
  r.secrets = img.secret_count;
  r.secrets_by_severity = img.secret_counts;
  r.malware = malware_count(img);
  if (!result)
    return r;
  auto worse = [&](std::string_view severity) {
    return !r.worst || severity_rank(severity) < severity_rank(r.worst->severity);
  };
  for (auto& f : result->findings) {
    r.fixable += !f.fixed_version.empty();
    if (worse(f.severity))
      r.worst = risk_summary::worst_finding{"vulnerability", f.id, f.severity, f.package + " " + f.installed_version};
  }
  for (auto& s : result->inv.secrets)
    if (worse(s.severity))
      r.worst = risk_summary::worst_finding{"secret", s.rule_id, s.severity,
                 s.location + (s.line > 0 ? ":" + std::to_string(s.line) : "")};
  return r;
}

} // namespace regscan
