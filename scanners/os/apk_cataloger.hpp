#pragma once
// Alpine (and Wolfi/Chainguard) packages: lib/apk/db/installed, with the
// origin as source package and the files each package owns.
#include <string>
#include <vector>

#include "scanners/cataloger.hpp"

namespace regscan {

class apk_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "apk"; }
  bool wants(std::string_view path) const override;
  void rebase_os(const os_info& parsed_with, const os_info& final_os,
                 std::vector<package>& packages) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

/// The OSV ecosystem for apk packages on `os`: "Alpine:v3.19", "Wolfi", ...
std::string apk_ecosystem(const os_info& os);

} // namespace regscan
