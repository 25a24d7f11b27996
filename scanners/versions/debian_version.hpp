#pragma once
// Debian version ordering, the way dpkg orders them. Reference: dpkg 1.21.22
// (Debian 12), `dpkg --compare-versions`, run by debian_version_test.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as `dpkg --compare-versions` orders a and b: epoch, then
/// upstream version, then revision; a missing epoch is 0, a missing revision
/// is empty. Bad syntax is compared as well as it parses, never rejected.
int compare_debian_versions(std::string_view a, std::string_view b);

/// True when dpkg would parse v without an error or a warning.
bool valid_debian_version(std::string_view v);

} // namespace regscan
