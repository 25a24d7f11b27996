#pragma once
// PEP 440 version ordering (PyPI), as python3-packaging's Version orders.
// Reference: packaging 23.0 (Debian 12's python3-packaging), run by
// pep440_version_test.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as packaging.version.Version orders a and b: epoch, release
/// (trailing zeros ignored), then .devN < aN < bN < rcN < release < .postN,
/// then the local version (+abc.5: numbers above words, more parts above
/// fewer). Spellings are normalised (alpha=a, c=pre=preview=rc, rev=r=post,
/// "-1" = post1, case and separators). Strings that are not PEP 440 sort
/// below every valid version, and among themselves as plain strings.
int compare_pep440_versions(std::string_view a, std::string_view b);

/// True when packaging.version.Version(v) would not raise.
bool valid_pep440_version(std::string_view v);

} // namespace regscan
