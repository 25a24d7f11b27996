#pragma once
// Findings after matching: one per vulnerability and package (aliases merged),
// and when each was first reported for an image.
#include <cstdint>
#include <string_view>
#include <vector>

#include "scanners/types.hpp"

namespace regscan {

/// Merges the findings of one installed package that name the same
/// vulnerability: two records whose ids or aliases overlap (a CVE that Debian
/// and another source both report) become one finding. The kept finding is
/// the one whose fix is highest (no fix wins: some record says it is not fixed
/// yet), with the highest severity of the group; the other ids join its aliases.
/// `ecosystem` orders the fixed versions. Order of the rest is kept.
void merge_aliases(std::string_view ecosystem, std::vector<finding>& findings);

/// Merges the findings of a whole inventory, ecosystem by ecosystem, as
/// merge_aliases does: a package found through two files (an npm
/// package-lock.json and the package's own package.json) or in two layers is
/// one installed package with one set of findings. Of equal findings the
/// first is kept, so the earlier layer.
void merge_inventory_findings(std::vector<finding>& findings);

/// The order findings are stored and shown in: by package (ecosystem, name,
/// version, layer), then advisory id. A re-match that replaces the findings
/// of some packages keeps it, so equal sets compare equal.
void sort_findings(std::vector<finding>& findings);

/// Sets first_seen on every finding: the earliest first_seen of a previous
/// finding of the same package that shares its id or an alias (a merged
/// finding may change its id when a new record joins), else `now`.
void carry_first_seen(const std::vector<finding>& previous, std::vector<finding>& current,
                      int64_t now);

} // namespace regscan
