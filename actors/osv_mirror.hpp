#pragma once
// Where OSV archives come from: a mirror of osv.dev's per-ecosystem exports
// (downloaded), or a file or folder on this machine (air-gapped sites).
#include <string>
#include <vector>

#include "connectors/http_client.hpp"
#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

class store;

inline constexpr const char* default_osv_mirror = "https://osv-vulnerabilities.storage.googleapis.com";

/// "<mirror>/<ecosystem>/all.zip", the ecosystem percent-encoded ("Red%20Hat").
std::string osv_archive_url(const std::string& mirror, const std::string& ecosystem);

/// Streams one ecosystem's all.zip from the mirror to a temporary file in
/// `temp_dir` (removed afterwards), then imports it incrementally.
expected<import_report> update_ecosystem(store& db, const std::string& mirror,
                                         const std::string& ecosystem,
                                         const std::string& temp_dir,
                                         const http_options& opts = {});

/// Imports one all.zip, or every all.zip below a folder (<Ecosystem>/all.zip),
/// in path order. Errors of one archive are listed as "<file>: <reason>".
expected<import_report> import_osv_path(store& db, const std::string& path);

/// Adds `part` to `total`: counts summed, errors and packages joined.
void add_report(import_report& total, import_report&& part, const std::string& label);

/// The ecosystems a database already has, by export name ("Debian" for
/// "Debian:12"): what `db update` refreshes when none is named.
std::vector<std::string> export_names(const std::vector<ecosystem_status>& status);

} // namespace regscan
