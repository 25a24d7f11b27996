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
struct services;

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

/// One archive of a `db update`: where it came from and what it did.
struct archive_outcome {
  std::string ecosystem;
  std::string url;
  std::string error; // "" = imported
  uint64_t read = 0;
  uint64_t written = 0;
  uint64_t removed = 0;
};

struct vulndb_update_request {
  std::string mirror; // "" = the configured one
  std::vector<std::string> ecosystems; // empty = those the database has
  bool allow_shrink = false;
};

struct vulndb_update_result {
  std::vector<archive_outcome> archives;
  import_report total;
};

/// Downloads and imports each ecosystem's archive from an allowed mirror
/// (errc::forbidden otherwise); one archive's failure is listed and the
/// others go on. errc::invalid when there is nothing to update.
expected<vulndb_update_result> update_vulndb(const services& s, const vulndb_update_request& req);

/// Imports the bytes of one all.zip a client sent, labelled `source`.
expected<import_report> import_vulndb_bytes(const services& s, std::string_view bytes,
                                            const std::string& source, bool allow_shrink);

} // namespace regscan
