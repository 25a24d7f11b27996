#pragma once
// RPM version ordering (Red Hat, Fedora, Rocky, Alma, SUSE, ...), as librpm
// orders them. Reference: librpm 4.18.0 (Debian 12's python3-rpm),
// rpm.labelCompare, run by rpm_version_test.
#include <string_view>

namespace regscan {

/// rpmvercmp() on one version or release string: alphanumeric segments,
/// '~' before everything (even the end), '^' after the end but before
/// anything else, digits above letters.
int rpmvercmp(std::string_view a, std::string_view b);

/// <0, 0 or >0 as librpm orders two "[epoch:]version[-release]" strings
/// (rpm.ver / rpm.labelCompare): a missing epoch is 0, then the version,
/// then the release, where a missing release is below any release.
int compare_rpm_versions(std::string_view a, std::string_view b);

} // namespace regscan
