#pragma once
// PHP: vendor/composer/installed.json, Composer 1's array of packages and
// Composer 2's {"packages": [...]}.
#include "scanners/cataloger.hpp"

namespace regscan {

class composer_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "composer"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
