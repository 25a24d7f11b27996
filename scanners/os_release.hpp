#pragma once
// /etc/os-release and its Debian fallback: which distribution an image is.
#include <string_view>

#include "scanners/types.hpp"

namespace regscan {

/// Parses os-release(5): KEY=value lines, values optionally quoted with
/// shell-style escapes, '#' comments. Unknown keys and bad lines are ignored.
os_info parse_os_release(std::string_view content);

/// Parses etc/debian_version ("12.5", "bookworm/sid"): id "debian",
/// version_id the major number when there is one, else the codename.
os_info parse_debian_version(std::string_view content);

} // namespace regscan
