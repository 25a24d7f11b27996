#pragma once
// Java archives (*.jar, *.war, *.ear, and nested jars inside them): Maven
// coordinates from META-INF/maven/**/pom.properties, else the name and
// version that META-INF/MANIFEST.MF declares.
#include "scanners/cataloger.hpp"

namespace regscan {

class java_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "java"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
