#pragma once
// NuGet version ordering, as NuGet's VersionComparer (VersionComparison.Default) orders.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as NuGet orders a and b: up to four numeric parts (missing
/// ones are 0, leading zeros ignored), a pre-release below its release,
/// pre-release labels one by one as in SemVer 2 but case-insensitive
/// (numbers by value and below words, fewer labels below more), build
/// metadata after '+' ignored.
int compare_nuget_versions(std::string_view a, std::string_view b);

} // namespace regscan
