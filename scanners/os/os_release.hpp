#pragma once
// /etc/os-release and its fallbacks: which distribution an image is.
#include <functional>
#include <string>
#include <string_view>

#include "scanners/types.hpp"

namespace regscan {

/// Parses os-release(5): KEY=value lines, values optionally quoted with
/// shell-style escapes, '#' comments. Unknown keys and bad lines are ignored.
os_info parse_os_release(std::string_view content);

/// Parses etc/debian_version ("12.5", "bookworm/sid"): id "debian",
/// version_id the major number when there is one, else the codename.
os_info parse_debian_version(std::string_view content);

/// Parses a one-line release file of the Red Hat family, Amazon, Photon or
/// SUSE ("Rocky Linux release 9.3 (Blue Onyx)", "VMware Photon OS 5.0", ...)
/// into os-release ids (rhel, centos, rocky, almalinux, fedora, amzn, ol,
/// photon, sles, opensuse). Empty id when the text is not recognized.
os_info parse_release_file(std::string_view content);

/// Files that tell which distribution an image is; the layer walk keeps them.
bool is_os_file(std::string_view path);

/// Looks a file of the final filesystem up (symlinks resolved); nullptr when absent.
using file_lookup = std::function<const std::string*(std::string_view path)>;

/// os-release first (etc/, then usr/lib/), then the distribution's own release
/// files: debian_version, alpine-release, lsb-release, redhat-release and its
/// kin, system-release (Amazon), photon-release, SuSE-release.
os_info detect_os(const file_lookup& lookup);

} // namespace regscan
