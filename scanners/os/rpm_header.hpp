#pragma once
// An rpm header blob as rpmdb backends store it (headerExport's layout:
// be32 index count, be32 data size, 16-byte index entries, then the data).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/expected.hpp"

namespace regscan {

struct rpm_header {
  std::string name, version, release, arch, source_rpm;
  // "nodejs:18:8090020240104110138:a75119d5" (name:stream:version:context)
  // for a package built in a module stream; empty otherwise.
  std::string modularity_label;
  std::optional<uint32_t> epoch;
  std::vector<std::string> files; // absolute paths as rpm lists them
};

/// Reads the tags regscan uses. Every offset and count is checked against
/// the blob; a bad blob is an error, never a crash.
expected<rpm_header> parse_rpm_header(std::string_view blob);

/// "bash-5.1.8-6.el9.src.rpm" -> "bash"; empty when it does not look like one.
std::string rpm_source_name(std::string_view source_rpm);

/// The module stream of a MODULARITYLABEL: "nodejs:18:8090020240104110138:
/// a75119d5" -> "nodejs:18"; empty when it has no name and stream.
std::string rpm_module_stream(std::string_view modularity_label);

} // namespace regscan
