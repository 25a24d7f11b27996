#include "scanners/vuln_matcher.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "scanners/cvss.hpp"
#include "scanners/debian_version.hpp"

namespace regscan {
namespace {

// One line per supported ecosystem prefix.
constexpr std::pair<std::string_view, version_comparator> comparators[] = {
    {"Debian:", compare_debian_versions},
};

// Replays a range's events in version order, as the OSV schema's
// evaluation pseudo-code does.
bool in_range(std::string_view v, const osv_range& range, version_comparator cmp) {
  struct point {
    std::string_view version;
    enum { introduced, fixed, last_affected } kind;
  };
  std::vector<point> points;
  std::vector<std::string_view> limits;
  for (const auto& e : range.events) {
    if (!e.introduced.empty())
      points.push_back({e.introduced, point::introduced});
    else if (!e.fixed.empty())
      points.push_back({e.fixed, point::fixed});
    else if (!e.last_affected.empty())
      points.push_back({e.last_affected, point::last_affected});
    else if (!e.limit.empty())
      limits.push_back(e.limit);
  }
  // "0" opens the range before every version; on equal versions an
  // introduced comes first, so introduced X, fixed X is empty.
  auto before = [cmp](const point& a, const point& b) {
    bool a_zero = a.kind == point::introduced && a.version == "0";
    bool b_zero = b.kind == point::introduced && b.version == "0";
    if (a_zero || b_zero)
      return a_zero && !b_zero;
    int c = cmp(a.version, b.version);
    if (c != 0)
      return c < 0;
    return a.kind == point::introduced && b.kind != point::introduced;
  };
  std::stable_sort(points.begin(), points.end(), before);

  bool affected = false;
  for (const auto& p : points) {
    if (p.kind == point::introduced) {
      if (p.version == "0" || cmp(v, p.version) >= 0)
        affected = true;
    } else if (p.kind == point::fixed) {
      if (cmp(v, p.version) >= 0)
        affected = false;
    } else if (cmp(v, p.version) > 0) {
      affected = false;
    }
  }
  if (!affected || limits.empty())
    return affected;
  // Limits are upper bounds: the version must be below one of them.
  return std::any_of(limits.begin(), limits.end(),
                     [&](std::string_view l) { return l == "*" || cmp(v, l) < 0; });
}

// The lowest fixed event above v among ranges, or "" when there is none.
std::string lowest_fix(std::string_view v, const std::vector<const osv_range*>& ranges,
                       version_comparator cmp) {
  std::string best;
  for (const auto* r : ranges)
    for (const auto& e : r->events)
      if (!e.fixed.empty() && cmp(e.fixed, v) > 0 && (best.empty() || cmp(e.fixed, best) < 0))
        best = e.fixed;
  return best;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Debian urgencies and the usual severity words, capitalised.
std::string severity_word(std::string_view word) {
  std::string w = lower(word);
  if (w == "critical" || w == "emergency")
    return "Critical";
  if (w == "high")
    return "High";
  if (w == "medium" || w == "moderate")
    return "Medium";
  if (w == "low" || w == "unimportant")
    return "Low";
  return "Unknown";
}

std::string severity_of(const osv_record& rec, const osv_affected& affected) {
  for (const auto& s : rec.severity) {
    if (s.type != "CVSS_V3")
      continue;
    // A 0.0 score is "None", which is no finding severity: fall through.
    if (auto score = cvss3_base_score(s.score); score && *score > 0.0)
      return severity_from_score(*score);
  }
  return severity_word(affected.severity);
}

} // namespace

version_comparator comparator_for(std::string_view ecosystem) {
  for (auto [prefix, cmp] : comparators)
    if (ecosystem.starts_with(prefix))
      return cmp;
  return nullptr;
}

std::optional<finding> match_package(const package& pkg, const osv_record& rec) {
  if (!rec.withdrawn.empty())
    return std::nullopt;
  version_comparator cmp = comparator_for(pkg.ecosystem);
  if (cmp == nullptr)
    return std::nullopt;
  // OS records name source packages; the source fields fall back to the
  // binary ones when a cataloger left them empty.
  std::string_view name = pkg.source_name.empty() ? pkg.name : pkg.source_name;
  std::string_view version = pkg.source_version.empty() ? pkg.version : pkg.source_version;

  const osv_affected* first = nullptr;
  std::vector<const osv_range*> matched;  // ranges that contain version
  std::vector<const osv_range*> fallback; // every range of an entry matched by versions[]
  for (const auto& a : rec.affected) {
    if (a.ecosystem != pkg.ecosystem || a.name != name)
      continue;
    bool hit = false;
    for (const auto& r : a.ranges) {
      if (r.type == "ECOSYSTEM" && in_range(version, r, cmp)) {
        matched.push_back(&r);
        hit = true;
      }
    }
    if (!hit && std::any_of(a.versions.begin(), a.versions.end(),
                            [&](const std::string& v) { return cmp(v, version) == 0; })) {
      hit = true;
      for (const auto& r : a.ranges)
        if (r.type == "ECOSYSTEM")
          fallback.push_back(&r);
    }
    if (hit && first == nullptr)
      first = &a;
  }
  if (first == nullptr)
    return std::nullopt;

  finding f;
  f.id = rec.id;
  f.aliases = rec.aliases;
  f.package = pkg.name;
  f.source_package = std::string{name};
  f.installed_version = pkg.version;
  f.fixed_version = lowest_fix(version, matched.empty() ? fallback : matched, cmp);
  f.severity = severity_of(rec, *first);
  f.title = rec.summary.empty() ? rec.id : rec.summary;
  f.description = rec.details;
  for (const auto& r : rec.references)
    f.references.push_back(r.url);
  f.fix_advice = f.fixed_version.empty()
                     ? "no fix available yet"
                     : "upgrade " + f.source_package + " to " + f.fixed_version + " or later";
  f.layer = pkg.layer;
  return f;
}

} // namespace regscan
