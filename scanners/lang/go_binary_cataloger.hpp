#pragma once
// Go binaries (OSV ecosystem "Go"): the build info the linker embeds behind
// the "\xff Go buildinf:" magic, in both layouts: pointers to Go strings
// (before Go 1.18) and inline varint-prefixed strings (Go 1.18 and later).
// Records the main module, each dependency and the toolchain as "stdlib"
// ("go1.22.3" -> "1.22.3"). Versions lose their "v" ("v0.3.8" -> "0.3.8"),
// as OSV's Go records write them; "(devel)" stays as it is.
// A replaced dependency is recorded as the module that was compiled in: a
// module replacement gives name/version of the replacement and keeps the
// required module in source_name/source_version; a local directory
// replacement keeps the required path with version "(devel)".
// Work is bounded: the ELF headers plus at most 64 KiB searched for the magic
// and 1 MiB of module info, whatever the binary's size.
#include <string>

#include "scanners/cataloger.hpp"

namespace regscan {

class go_binary_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "go-binary"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override { return false; }
  bool wants_executable(std::string_view path, uint32_t mode, uint64_t size) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

/// What the build info says, before it becomes packages.
struct go_build_info {
  std::string go_version; // "go1.22.3"
  std::string mod_info;   // the text `go version -m` prints, without the sentinels
};

/// Adds the toolchain and the modules `info` names; a line it cannot read
/// becomes a note.
void add_go_modules(const go_build_info& info, std::string_view path, std::string_view layer,
                    inventory& out);

/// False (and `why` set) when `binary` is not an ELF file with Go build info.
bool read_go_build_info(std::string_view binary, go_build_info& out, std::string& why);

} // namespace regscan
