#pragma once
// NuGet version ordering, as NuGet's VersionComparer (VersionComparison.Default) orders.
// Reference: NuGet.Versioning's documented rules (learn.microsoft.com,
// "Package versioning", SemVer 2.0.0 support since NuGet 4.3.0). .NET is not
// in Debian, so the table in nuget_version_test was checked by hand; no
// release is run as a reference.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as NuGet orders a and b: up to four numeric parts (missing
/// ones are 0, leading zeros ignored), a pre-release below its release,
/// pre-release labels one by one as in SemVer 2 but case-insensitive
/// (numbers by value and below words, fewer labels below more), build
/// metadata after '+' ignored.
int compare_nuget_versions(std::string_view a, std::string_view b);

} // namespace regscan
