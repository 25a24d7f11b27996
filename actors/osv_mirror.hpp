#pragma once
// Where OSV archives come from: a mirror of osv.dev's per-ecosystem exports
// (downloaded), or a file or folder on this machine (air-gapped sites).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/daemon_config.hpp"

#include "connectors/http_client.hpp"
#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

class store;

inline constexpr const char* default_osv_mirror = "https://osv-vulnerabilities.storage.googleapis.com";

/// "<mirror>/<ecosystem>/all.zip", the ecosystem percent-encoded ("Red%20Hat").
std::string osv_archive_url(const std::string& mirror, const std::string& ecosystem);

/// The mirror a `db update` may download from: the configured one when
/// `requested` is empty; else `requested` when it is the configured one or in
/// allowed_mirrors (errc::forbidden otherwise). https only, unless allow_http
/// (errc::forbidden).
expected<std::string> choose_mirror(const daemon_config& cfg, const std::string& requested);

/// Caps of one archive's download: a mirror must not fill the disk or hang an update.
struct download_limits {
  uint64_t max_bytes = uint64_t{1} << 30;
  std::chrono::seconds max_time{1800};
};

/// Streams one ecosystem's all.zip from the mirror to a temporary file in
/// `temp_dir` (removed afterwards), then imports it incrementally. A download
/// over a limit fails with errc::limit and imports nothing.
expected<import_report> update_ecosystem(store& db, const std::string& mirror,
                                         const std::string& ecosystem,
                                         const std::string& temp_dir,
                                         const http_options& opts = {},
                                         const download_limits& limits = {},
                                         const import_options& import = {});

/// Imports one all.zip, or every all.zip below a folder (<Ecosystem>/all.zip),
/// in path order. Errors of one archive are listed as "<file>: <reason>".
expected<import_report> import_osv_path(store& db, const std::string& path);

/// Adds `part` to `total`: counts summed, errors and packages joined.
void add_report(import_report& total, import_report&& part, const std::string& label);

/// The ecosystems a database already has, by export name ("Debian" for
/// "Debian:12"): what `db update` refreshes when none is named.
std::vector<std::string> export_names(const std::vector<ecosystem_status>& status);

} // namespace regscan
