#pragma once
// RubyGems: the specifications/*.gemspec files RubyGems writes for each
// installed gem (name and version from the Gem::Specification block).
#include "scanners/cataloger.hpp"

namespace regscan {

class gem_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "gem"; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
