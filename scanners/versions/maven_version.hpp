#pragma once
// Maven version ordering, as Maven's ComparableVersion (3.8) orders.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as org.apache.maven.artifact.versioning.ComparableVersion
/// orders a and b: case-insensitive; '.' and '-' split items, and so does
/// every change between digits and letters; '-' (and a letter-digit
/// change) opens a sub-list; trailing nulls (0, "", "final", "ga",
/// "release") are dropped; alpha < beta < milestone < rc = cr < snapshot <
/// "" < sp < other words (alphabetical) < numbers; a single a, b or m right
/// before a digit means alpha, beta or milestone.
int compare_maven_versions(std::string_view a, std::string_view b);

} // namespace regscan
