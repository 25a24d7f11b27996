#pragma once
// Language runtimes, wherever they were installed (official images put them
// in /usr/local, outside any package manager; `owner` says when an OS
// package owns the file):
// - Go:      <root>/go/VERSION ("go1.22.3")        -> ecosystem "Go", name "stdlib", "1.22.3"
//            (the OSV name, as for Go binaries)
// - Node.js: an executable named node or nodejs, its version from the release
//            URL compiled in ("/download/release/v20.11.1/") -> "runtime", "node", "20.11.1"
// - Python:  an executable pythonX.Y, libpythonX.Y*.so*, or
//            include/pythonX.Y/patchlevel.h (PY_VERSION)     -> "runtime", "python", "3.12.1"
// - Java:    a JDK/JRE "release" file (JAVA_VERSION)         -> "runtime", "java", "17.0.9"
// OSV has no ecosystem for the Node.js, CPython or Java runtimes themselves,
// so those carry the marker ecosystem "runtime". Each file is parsed on its
// own, so one CPython seen through libpython3.12.so and patchlevel.h gives a
// record per file (same name and version, different `file`). A pythonX.Y
// executable linked against libpython holds no version: it is skipped
// without a note, the library carries it.
#include "scanners/cataloger.hpp"

namespace regscan {

class runtime_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "runtime"; }
  bool wants(std::string_view path) const override;
  bool wants_executable(std::string_view path, uint32_t mode, uint64_t size) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

} // namespace regscan
