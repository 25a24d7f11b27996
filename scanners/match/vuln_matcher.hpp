#pragma once
// Matches installed packages against OSV records.
#include <optional>
#include <string>
#include <string_view>

#include "scanners/types.hpp"

namespace regscan {

/// Orders two versions of one ecosystem: <0, 0, >0.
using version_comparator = int (*)(std::string_view, std::string_view);

/// The comparator for an OSV ecosystem ("Debian:12", "npm", "Red Hat:...",
/// ...), or nullptr when regscan cannot order that ecosystem's versions
/// (unknown ecosystems).
version_comparator comparator_for(std::string_view ecosystem);

/// The package name as the ecosystem compares names: PEP 503 for PyPI
/// ("Foo.Bar_baz" -> "foo-bar-baz"), the rpm of a Red Hat modular name
/// ("nodejs:18:8090020240104110138:a75119d5:nodejs" -> "nodejs"),
/// unchanged elsewhere. Indexes of
/// records by name should key on this, and so should look-ups.
std::string normalized_package_name(std::string_view ecosystem, std::string_view name);

/// True when a record's affected ecosystem covers a package's: the same
/// string; for Ubuntu the same release in any variant ("Ubuntu:22.04"
/// covers "Ubuntu:22.04:LTS", "Ubuntu:Pro:22.04:LTS", ...); for a bare
/// "Red Hat", "SUSE", "openEuler" or "Azure Linux" package every product
/// stream of that family ("Red Hat:enterprise_linux:9::appstream").
bool ecosystem_covers(std::string_view record_ecosystem, std::string_view package_ecosystem);

/// A finding when rec affects pkg, nullopt otherwise. The package matches an
/// affected entry when the ecosystems match (ecosystem_covers) and the names
/// do: OS packages by source package (Alpine: origin; Red Hat: and module
/// stream, pkg.module, which a modular record name carries), PyPI by normalised
/// name, Go by module path ("stdlib" and "toolchain" with a "go1.x" version
/// are read as SemVer), Maven by "group:artifact", the rest by name. The
/// version must fall in an ECOSYSTEM or SEMVER range (events introduced,
/// fixed, last_affected, limit) or be in the versions list. GIT ranges are
/// ignored: they name commits, and an installed package has no commit.
/// A Go version that is not SemVer ("(devel)") or a Packagist branch
/// ("dev-main") is never matched: no range can hold it.
/// Never matched: withdrawn records; language packages owned by an OS
/// package (pkg.owner set), since distributions backport fixes without
/// changing the upstream version and the OS package is matched instead;
/// packages with a kind (not from the registry: pkg.kind).
std::optional<finding> match_package(const package& pkg, const osv_record& rec);

/// Sets the finding's title (the summary, else the id), description and
/// reference URLs from its advisory record.
void set_advisory_text(finding& f, const osv_record& rec);

} // namespace regscan
