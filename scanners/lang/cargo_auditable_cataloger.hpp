#pragma once
// Rust binaries built with cargo-auditable: the ELF section .dep-v0 holds the
// zlib-compressed JSON dependency tree ({"packages": [{name, version, source}]}).
#include <string>

#include "scanners/cataloger.hpp"
#include "scanners/expected.hpp"

namespace regscan {

class cargo_auditable_cataloger final : public cataloger {
 public:
  std::string_view name() const override { return "cargo-auditable"; }
  // 2: skipped records become notes that name them (issue 16).
  int version() const override { return 2; }
  bool wants(std::string_view path) const override { return false; }
  bool wants_executable(std::string_view path, uint32_t mode, uint64_t size) const override;
  void parse(std::string_view path, std::string_view content, std::string_view layer,
             const os_info& os, inventory& out) const override;
};

/// The bytes of the ELF section `name`; an empty view when the file is not
/// ELF or has no such section; an error when the ELF is damaged.
expected<std::string_view> elf_section(std::string_view file, std::string_view name);

} // namespace regscan
