#include "scanners/match/vuln_matcher.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "scanners/versions/apk_version.hpp"
#include "scanners/match/cvss.hpp"
#include "scanners/versions/debian_version.hpp"
#include "scanners/versions/maven_version.hpp"
#include "scanners/versions/nuget_version.hpp"
#include "scanners/versions/packagist_version.hpp"
#include "scanners/versions/pep440_version.hpp"
#include "scanners/versions/rpm_version.hpp"
#include "scanners/versions/rubygems_version.hpp"
#include "scanners/versions/semver_version.hpp"

namespace regscan {
namespace {

enum class family { os, language };

struct ecosystem_entry {
  std::string_view name; // the ecosystem, or the part before its first ':'
  version_comparator cmp;
  family kind;
  // Records name a product stream below the family ("Red Hat:
  // enterprise_linux:9::appstream") that an image's os-release cannot
  // tell, so a package of the bare family matches every stream.
  bool streams = false;
  // When set, an installed version it rejects is never matched: the
  // ecosystem cannot place it in any range, and cmp would sort it below
  // every version, into each range that starts at "0".
  bool (*valid)(std::string_view) = nullptr;
};

// One line per supported ecosystem. There is none for "runtime", the
// Node.js, CPython and Java runtimes that runtime_cataloger finds outside
// a package manager: OSV has no ecosystem for them, and its language
// ecosystems hold packages, not the runtime (the PyPI and npm exports in
// ../shared/data/osv have no record for "python", "cpython" or "node").
// They are listed, never matched. A Go runtime is catalogued as Go
// "stdlib" and matched as such.
constexpr ecosystem_entry ecosystems[] = {
    {"Debian", compare_debian_versions, family::os},
    {"Ubuntu", compare_debian_versions, family::os},
    {"Alpine", compare_apk_versions, family::os},
    {"Red Hat", compare_rpm_versions, family::os, true},
    {"Rocky Linux", compare_rpm_versions, family::os},
    {"AlmaLinux", compare_rpm_versions, family::os},
    {"openSUSE", compare_rpm_versions, family::os},
    {"SUSE", compare_rpm_versions, family::os, true},
    {"Mageia", compare_rpm_versions, family::os},
    {"openEuler", compare_rpm_versions, family::os, true},
    {"Azure Linux", compare_rpm_versions, family::os, true},
    {"npm", compare_semver, family::language},
    // "(devel)", a main module built from a working tree, is no version.
    {"Go", compare_go_versions, family::language, false, valid_semver},
    {"crates.io", compare_semver, family::language},
    {"PyPI", compare_pep440_versions, family::language},
    {"Maven", compare_maven_versions, family::language},
    {"RubyGems", compare_rubygems_versions, family::language},
    {"NuGet", compare_nuget_versions, family::language},
    // A branch ("dev-main") is in no Composer range.
    {"Packagist", compare_packagist_versions, family::language, false, valid_packagist_version},
};

const ecosystem_entry* find_ecosystem(std::string_view ecosystem) {
  std::string_view family_name = ecosystem.substr(0, ecosystem.find(':'));
  for (const auto& e : ecosystems)
    if (family_name == e.name && (e.kind == family::os || family_name.size() == ecosystem.size()))
      return &e;
  return nullptr;
}

// The "22.04" of "Ubuntu:Pro:FIPS:22.04:LTS".
std::string_view ubuntu_release(std::string_view ecosystem) {
  size_t start = 0;
  while (start < ecosystem.size()) {
    size_t end = ecosystem.find(':', start);
    if (end == std::string_view::npos)
      end = ecosystem.size();
    std::string_view part = ecosystem.substr(start, end - start);
    if (!part.empty() && std::isdigit(static_cast<unsigned char>(part[0])) &&
        part.find('.') != std::string_view::npos)
      return part;
    start = end + 1;
  }
  return {};
}

// A Red Hat record names a package built in a module stream with the
// module in front, as OSV's converter of Red Hat's CSAF advisories cuts
// the product's name from its NEVRA: "container-tools:3.0:
// 8040020240104111259:c0c392d5:buildah" (name:stream:version:context:rpm).
struct red_hat_name {
  std::string_view stream; // "container-tools:3.0", or empty
  std::string_view rpm;    // "buildah"
};

red_hat_name split_red_hat_name(std::string_view name) {
  auto last = name.rfind(':');
  auto first = name.find(':');
  if (last == std::string_view::npos || first == last || first == 0)
    return {{}, name};
  auto second = name.find(':', first + 1);
  if (second == first + 1)
    return {{}, name};
  return {name.substr(0, second), name.substr(last + 1)};
}

struct point {
  std::string_view version;
  enum { introduced, fixed, last_affected } kind;
};

// Replays a range's events in version order, as the OSV schema's
// evaluation pseudo-code does.
bool in_range(std::string_view v, const osv_range& range, version_comparator cmp) {
  // Most ranges have a handful of events: keep them off the heap.
  point fixed_points[8];
  std::vector<point> more;
  size_t n = 0;
  std::string_view limits[4];
  size_t n_limits = 0;
  bool many_limits = false;
  auto add = [&](point p) {
    if (n < std::size(fixed_points))
      fixed_points[n++] = p;
    else
      more.push_back(p);
  };
  for (const auto& e : range.events) {
    if (!e.introduced.empty())
      add({e.introduced, point::introduced});
    else if (!e.fixed.empty())
      add({e.fixed, point::fixed});
    else if (!e.last_affected.empty())
      add({e.last_affected, point::last_affected});
    else if (!e.limit.empty()) {
      if (n_limits < std::size(limits))
        limits[n_limits++] = e.limit;
      else
        many_limits = true;
    }
  }
  std::vector<point> all;
  point* begin = fixed_points;
  point* end = fixed_points + n;
  if (!more.empty()) {
    all.assign(fixed_points, fixed_points + n);
    all.insert(all.end(), more.begin(), more.end());
    begin = all.data();
    end = all.data() + all.size();
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
  if (!std::is_sorted(begin, end, before))
    std::stable_sort(begin, end, before);

  bool affected = false;
  for (const point* p = begin; p != end; ++p) {
    if (p->kind == point::introduced) {
      if (p->version == "0" || cmp(v, p->version) >= 0)
        affected = true;
    } else if (p->kind == point::fixed) {
      if (cmp(v, p->version) >= 0)
        affected = false;
    } else if (cmp(v, p->version) > 0) {
      affected = false;
    }
  }
  if (!affected || n_limits == 0 || many_limits)
    return affected;
  // Limits are upper bounds: the version must be below one of them.
  return std::any_of(limits, limits + n_limits,
                     [&](std::string_view l) { return l == "*" || cmp(v, l) < 0; });
}

struct matched_range {
  const osv_range* range;
  version_comparator cmp;
};

// The lowest fixed event above v among ranges, or "" when there is none.
std::string lowest_fix(std::string_view v, const std::vector<matched_range>& ranges) {
  std::string best;
  version_comparator best_cmp = nullptr;
  for (const auto& [r, cmp] : ranges)
    for (const auto& e : r->events)
      if (!e.fixed.empty() && cmp(e.fixed, v) > 0 &&
          (best.empty() || (best_cmp == cmp ? cmp(e.fixed, best) < 0 : false)))
        best = e.fixed, best_cmp = cmp;
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

// The CVSS base score of the record's vector, by its severity level. When
// a record has both, v4.0 wins: it is the current standard, and a source
// that publishes both (GitHub, Ubuntu) scored with it last. Taking the
// higher of the two instead would mix two scales that were built to rate
// the same flaw differently. Without a vector, the source's own word.
std::string severity_of(const osv_record& rec, const osv_affected& affected) {
  std::optional<double> v3, v4;
  for (const auto& s : rec.severity) {
    if (s.type == "CVSS_V4" && !v4)
      v4 = cvss4_base_score(s.score);
    else if (s.type == "CVSS_V3" && !v3)
      v3 = cvss3_base_score(s.score);
  }
  // A 0.0 score is "None", which is no finding severity: fall through.
  for (const auto& score : {v4, v3})
    if (score && *score > 0.0)
      return severity_from_score(*score);
  return severity_word(affected.severity);
}

std::string fix_advice(const package& pkg, std::string_view ecosystem, std::string_view name,
                       const std::string& fixed) {
  if (fixed.empty())
    return "no fix available yet";
  std::string n{name};
  if (ecosystem == "Go" && (name == "stdlib" || name == "toolchain"))
    return "rebuild with Go " + fixed + " or later";
  if (ecosystem == "npm")
    return "upgrade " + n + " to " + fixed + " or later (npm install " + n + "@" + fixed + ")";
  if (ecosystem == "PyPI")
    return "upgrade " + std::string{pkg.name} + " to " + fixed + " or later (pip install '" +
           std::string{pkg.name} + ">=" + fixed + "')";
  if (ecosystem == "Go")
    return "upgrade " + n + " to v" + fixed + " or later (go get " + n + "@v" + fixed + ")";
  if (ecosystem == "crates.io")
    return "upgrade " + n + " to " + fixed + " or later (cargo update -p " + n + ")";
  if (ecosystem == "RubyGems")
    return "upgrade " + n + " to " + fixed + " or later (bundle update " + n + ")";
  if (ecosystem == "Maven" || ecosystem == "NuGet" || ecosystem == "Packagist")
    return "upgrade " + n + " to " + fixed + " or later in your build file";
  // OS packages: the source package names the upload that carries the fix.
  return "upgrade " + n + " to " + fixed + " or later";
}

} // namespace

version_comparator comparator_for(std::string_view ecosystem) {
  const ecosystem_entry* e = find_ecosystem(ecosystem);
  return e == nullptr ? nullptr : e->cmp;
}

std::string normalized_package_name(std::string_view ecosystem, std::string_view name) {
  // Modular Red Hat names are filed under their rpm; match_package checks
  // the stream.
  if (ecosystem.substr(0, ecosystem.find(':')) == "Red Hat")
    return std::string{split_red_hat_name(name).rpm};
  if (ecosystem != "PyPI")
    return std::string{name};
  // PEP 503: lower case, each run of '-', '_' and '.' becomes one '-'.
  std::string out;
  out.reserve(name.size());
  bool in_run = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      in_run = true;
      continue;
    }
    if (in_run && !out.empty())
      out += '-';
    in_run = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (in_run)
    out += '-';
  return out;
}

bool ecosystem_covers(std::string_view record, std::string_view pkg) {
  if (record == pkg)
    return true;
  if (const ecosystem_entry* e = find_ecosystem(pkg);
      e != nullptr && e->streams && pkg == e->name && record.size() > pkg.size() &&
      record.starts_with(pkg) && record[pkg.size()] == ':')
    return true;
  if (record.starts_with("Ubuntu:") && pkg.starts_with("Ubuntu:")) {
    std::string_view r = ubuntu_release(record);
    return !r.empty() && r == ubuntu_release(pkg);
  }
  return false;
}

void set_advisory_text(finding& f, const osv_record& rec) {
  f.title = rec.summary.empty() ? rec.id : rec.summary;
  f.description = rec.details;
  f.references.clear();
  for (const auto& r : rec.references)
    f.references.push_back(r.url);
}

std::optional<finding> match_package(const package& pkg, const osv_record& rec) {
  if (!rec.withdrawn.empty())
    return std::nullopt;
  const ecosystem_entry* eco = find_ecosystem(pkg.ecosystem);
  if (eco == nullptr)
    return std::nullopt;
  // Its OS package is matched instead, with the distribution's fixes.
  if (eco->kind == family::language && !pkg.owner.empty())
    return std::nullopt;
  // Not from the registry (a project's own root or workspace, a git, tarball
  // or folder dependency): its version, or commit, says nothing about the
  // registry package of the same name that advisories are about.
  if (!pkg.kind.empty())
    return std::nullopt;
  // OS records name source packages; the source fields fall back to the
  // binary ones when a cataloger left them empty.
  bool os = eco->kind == family::os;
  std::string_view name = os && !pkg.source_name.empty() ? pkg.source_name : pkg.name;
  std::string_view version = os && !pkg.source_version.empty() ? pkg.source_version : pkg.version;
  std::string go_version;
  // The Go toolchain's own spelling: "go1.21rc2", or without the "go".
  if (pkg.ecosystem == "Go" && (name == "stdlib" || name == "toolchain")) {
    if (version.starts_with("go"))
      go_version = go_toolchain_semver(version);
    else if (!valid_semver(version))
      go_version = go_toolchain_semver("go" + std::string{version});
    if (!go_version.empty())
      version = go_version;
  }
  if (eco->valid != nullptr && !eco->valid(version))
    return std::nullopt;
  bool pypi = pkg.ecosystem == "PyPI";
  std::string wanted = pypi ? normalized_package_name("PyPI", name) : std::string{};
  bool red_hat = eco->name == "Red Hat";
  // A record names a name in one ecosystem; a Red Hat one also a module
  // stream, which must be the one the rpm was built in (none for none):
  // the same rpm in another stream is another line of versions.
  auto same_package = [&](std::string_view record_name) {
    if (pypi)
      return normalized_package_name("PyPI", record_name) == wanted;
    if (red_hat) {
      auto [stream, rpm] = split_red_hat_name(record_name);
      return rpm == name && stream == pkg.module;
    }
    return record_name == name;
  };

  const osv_affected* first = nullptr;
  std::vector<matched_range> matched;  // ranges that contain version
  std::vector<matched_range> fallback; // every range of an entry matched by versions[]
  for (const auto& a : rec.affected) {
    if (!ecosystem_covers(a.ecosystem, pkg.ecosystem))
      continue;
    if (!same_package(a.name))
      continue;
    bool hit = false;
    for (const auto& r : a.ranges) {
      // SEMVER ranges are SemVer whatever the ecosystem; GIT ranges are
      // commit hashes and ignored.
      version_comparator cmp = r.type == "SEMVER"      ? compare_semver
                               : r.type == "ECOSYSTEM" ? eco->cmp
                                                       : nullptr;
      if (cmp != nullptr && in_range(version, r, cmp)) {
        matched.push_back({&r, cmp});
        hit = true;
      }
    }
    if (!hit) {
      auto same = [&](const std::string& v) {
        return eco->cmp != nullptr ? eco->cmp(v, version) == 0 : v == version;
      };
      if (std::any_of(a.versions.begin(), a.versions.end(), same)) {
        hit = true;
        for (const auto& r : a.ranges) {
          if (r.type == "SEMVER")
            fallback.push_back({&r, compare_semver});
          else if (r.type == "ECOSYSTEM" && eco->cmp != nullptr)
            fallback.push_back({&r, eco->cmp});
        }
      }
    }
    if (hit && first == nullptr)
      first = &a;
  }
  if (first == nullptr)
    return std::nullopt;

  finding f;
  f.id = rec.id;
  f.aliases = rec.aliases;
  f.ecosystem = pkg.ecosystem;
  f.package = pkg.name;
  f.source_package = std::string{name};
  f.installed_version = pkg.version;
  f.fixed_version = lowest_fix(version, matched.empty() ? fallback : matched);
  f.severity = severity_of(rec, *first);
  set_advisory_text(f, rec);
  f.fix_advice = fix_advice(pkg, pkg.ecosystem, f.source_package, f.fixed_version);
  f.layer = pkg.layer;
  return f;
}

} // namespace regscan
