#pragma once
// Red Hat family and SUSE packages from the rpmdb: var/lib/rpm/rpmdb.sqlite,
// var/lib/rpm/Packages (Berkeley DB) and var/lib/rpm/Packages.db (ndb); also
// under usr/lib/sysimage/rpm/, where newer Fedora and openSUSE keep it.
#include <string>
#include <vector>

#include "scanners/cataloger.hpp"

namespace regscan {

class rpm_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "rpm"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override;
  void rebase_os(const os_info& parsed_with, const os_info& final_os,
                 std::vector<package>& packages) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

/// The OSV ecosystem for rpm packages on `os`: "Red Hat", "Rocky Linux:9",
/// "AlmaLinux:9", "SUSE", "openSUSE:Leap 15.5", ...
std::string rpm_ecosystem(const os_info& os);

} // namespace regscan
