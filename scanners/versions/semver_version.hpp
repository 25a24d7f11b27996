#pragma once
// SemVer 2.0 ordering for npm, Go and crates.io, as node-semver orders.
// Reference: node-semver 7.3.5 (Debian 12's node-semver), run by
// semver_version_test.
#include <string>
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as node-semver's compare(a, b): major.minor.patch by value,
/// a pre-release below its release, pre-release identifiers one by one
/// (numbers by value and below words, words in ASCII order, fewer below
/// more), build metadata ignored. A leading "v" is allowed. Versions that
/// are not SemVer (node-semver throws) are read leniently: missing parts are
/// 0, and what cannot be read at all sorts below every valid version.
int compare_semver(std::string_view a, std::string_view b);

/// True when node-semver (not in loose mode) parses v.
bool valid_semver(std::string_view v);

/// Go module versions: SemVer with a "v" prefix; "+incompatible" is build
/// metadata and so ignored.
int compare_go_versions(std::string_view a, std::string_view b);

/// A Go toolchain version as the OSV Go database writes it for "stdlib"
/// and "toolchain": "go1.21.3" -> "1.21.3", "go1.21" -> "1.21.0",
/// "go1.21rc2" -> "1.21.0-rc.2", "go1.9beta1" -> "1.9.0-beta.1". Anything
/// else is returned unchanged.
std::string go_toolchain_semver(std::string_view go_version);

} // namespace regscan
