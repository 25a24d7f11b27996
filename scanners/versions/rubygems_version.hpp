#pragma once
// RubyGems version ordering, as Gem::Version#<=> orders. Reference:
// RubyGems 3.3.15 (Debian 12's ruby 3.1), run by rubygems_version_test.
#include <string_view>

namespace regscan {

/// <0, 0 or >0 as Gem::Version orders a and b: the version is cut into runs
/// of digits and runs of letters ('-' reads as ".pre."); trailing zeros are
/// dropped from the numeric head and from the rest; missing parts are 0;
/// a word is below any number (so "1.0.a" is a pre-release of "1.0"); words
/// compare as byte strings, numbers by value.
int compare_rubygems_versions(std::string_view a, std::string_view b);

/// True when Gem::Version.new(v) would not raise.
bool valid_rubygems_version(std::string_view v);

} // namespace regscan
