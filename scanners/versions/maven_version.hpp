#pragma once
// Maven version ordering, as Maven's ComparableVersion orders. Reference:
// maven-artifact 3.8.7 (Debian 12's maven), run by maven_version_test. 3.8.7
// has the MNG-7644 fix (also in 3.9.0): a qualifier after '.' opens a
// sub-list as after '-', so 1.0.0.RC1 < 1.0.0-RC2 and 1.0.X == 1-X ==
// 1.0.0.X. It predates MNG-7714 (3.9.3: "sp" above "final" in every
// position), which is not followed.
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
