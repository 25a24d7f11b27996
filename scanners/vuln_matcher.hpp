#pragma once
// Matches installed packages against OSV records.
#include <optional>
#include <string_view>

#include "scanners/types.hpp"

namespace regscan {

/// Orders two versions of one ecosystem: <0, 0, >0.
using version_comparator = int (*)(std::string_view, std::string_view);

/// The comparator for an OSV ecosystem ("Debian:12", ...), or nullptr when
/// regscan cannot order that ecosystem's versions yet.
version_comparator comparator_for(std::string_view ecosystem);

/// A finding when rec affects pkg: same ecosystem, the record's package name
/// equals pkg.source_name, and pkg.source_version falls in an ECOSYSTEM range
/// or in the versions list. nullopt otherwise, for withdrawn records, and for
/// ecosystems without a comparator.
std::optional<finding> match_package(const package& pkg, const osv_record& rec);

} // namespace regscan
