#pragma once
// Alpine (apk) version ordering. Reference: apk-tools 2.x, src/version.c,
// and its own vectors (test/version.data, copied to
// scanners/testdata/versions/apk-tools-version.data). Debian packages no
// apk-tools, so no release is run as a reference and none is pinned.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as apk-tools 2.x orders a and b. Versions read
/// {digits}{.digits}...{letter}{_suffix{digits}}...{-r{digits}}: a number
/// with leading zeros after a '.' is below every number without them (it
/// sorts like a decimal fraction); _alpha < _beta < _pre < _rc < release <
/// _cvs < _svn < _git < _hg < _p; the -r revision comes last. Where one
/// version stops being valid, comparison stops there, as in apk.
int compare_apk_versions(std::string_view a, std::string_view b);

/// True when apk would accept v as a version.
bool valid_apk_version(std::string_view v);

} // namespace regscan
