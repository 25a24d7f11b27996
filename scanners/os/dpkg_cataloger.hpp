#pragma once
// Debian packages: var/lib/dpkg/status, and var/lib/dpkg/status.d/* as
// distroless images ship them (one stanza file per package, no Status field);
// var/lib/dpkg/info/*.list name the files each package owns.
#include "scanners/cataloger.hpp"

namespace regscan {

class dpkg_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "dpkg"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
  void rebase_os(const os_info& parsed_with, const os_info& final_os,
                 std::vector<package>& packages) const override;
};

/// The OSV ecosystem for dpkg packages on `os`: "Debian:12", "Ubuntu:22.04", ...
std::string dpkg_ecosystem(const os_info& os);

} // namespace regscan
