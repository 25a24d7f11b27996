#pragma once
// Python distributions (OSV ecosystem "PyPI") installed in a site-packages or
// dist-packages directory: <dist>.dist-info/METADATA, <dist>.egg-info/PKG-INFO,
// a <dist>.egg-info file (distutils), and <dist>.egg/EGG-INFO/PKG-INFO.
// `name` keeps the distribution's Name header as written ("PyYAML"); matching
// against OSV must normalise both sides per PEP 503 (lower case, runs of
// "-", "_", "." as one "-"): python_normalized_name() does that.
#include <string>

#include "scanners/cataloger.hpp"

namespace regscan {

class python_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "python"; }
  bool wants(std::string_view path) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

/// PEP 503: "Foo.Bar_baz" -> "foo-bar-baz".
std::string python_normalized_name(std::string_view name);

} // namespace regscan
