#pragma once
// What storage/ keeps: plain structs, serialised by record_codec.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scanners/types.hpp"

namespace regscan {

struct registry_record {
  std::string name;
  std::string type; // docker-v2, harbor-v1, harbor-v2, tcr, ccr, ...
  std::string address;
  std::string username;
  std::string password_sealed; // secret_box::seal output (base64)
  bool verify_tls = true;
  int rate_limit = 0; // images pulled per hour, 0 = unlimited
  int64_t created_at = 0;
  std::string version;      // Harbor: V1 or V2
  std::string network_type = "public";
  std::string region;       // Harbor: "default"; TCR/CCR: e.g. ap-guangzhou
  std::string instance_id;  // TCR instance (RegistryId)
  std::string api_endpoint; // API base override ("" = the kind's default)
  std::string secret_id;    // Tencent Cloud API SecretId (TCR/CCR listing)
  std::string secret_key_sealed; // its SecretKey, sealed like the password
  std::vector<std::string> repositories; // docker-v2 without a catalog: the repositories to list
  // Listing scope and temporary credentials (issue 17).
  std::vector<std::string> projects; // Harbor projects / TCR namespaces to list; empty = all visible
  bool include_proxy_cache = false;  // Harbor: list proxy-cache projects too
  std::string secret_token_sealed;   // Tencent Cloud session token (temporary credentials), sealed
};

template <maybe_const<registry_record> T, class F>
void fields(T& x, F&& f) {
  // The password never leaves the daemon, sealed or not.
  f("name", x.name);
  f("type", x.type);
  f("address", x.address);
  f("username", x.username);
  f("password_sealed", x.password_sealed, {.sealed = true, .shown_as = "password_set"});
  f("verify_tls", x.verify_tls);
  f("rate_limit", x.rate_limit);
  f("created_at", x.created_at);
  f("version", x.version);
  f("network_type", x.network_type);
  f("region", x.region);
  f("instance_id", x.instance_id);
  f("api_endpoint", x.api_endpoint);
  f("secret_id", x.secret_id);
  f("secret_key_sealed", x.secret_key_sealed, {.sealed = true, .shown_as = "secret_key_set"});
  f("repositories", x.repositories);
  f("projects", x.projects);
  f("include_proxy_cache", x.include_proxy_cache);
  f("secret_token_sealed", x.secret_token_sealed, {.sealed = true, .shown_as = "secret_token_set"});
}

/// Where an image stands with scanning. The supervisor sets it (its
/// set_image_status); a finished scan's result write sets `scanned`.
enum class scan_status { unscanned, queued, scanning, scanned, failed, cancelled };

/// Where a scan task stands. queued: waits for a scan slot; waiting: waits
/// until `not_before` (the registry's pull budget, or a retry's backoff);
/// running: has a slot; done, failed, cancelled: ended.
enum class task_state { queued, waiting, running, done, failed, cancelled };

/// Why a waiting task waits.
enum class wait_reason { none, budget, backoff };

const char* to_string(scan_status s);
const char* to_string(task_state s);
const char* to_string(wait_reason r);
std::optional<scan_status> parse_scan_status(std::string_view s);
std::optional<task_state> parse_task_state(std::string_view s);
std::optional<wait_reason> parse_wait_reason(std::string_view s);

/// Whether a task may move from one state to the other (the supervisor's
/// set_task_state checks every move against this).
bool can_move(task_state from, task_state to);

/// A task that has not ended holds its image: no second task is queued for it.
inline bool active(task_state s) {
  return s == task_state::queued || s == task_state::waiting || s == task_state::running;
}

struct image_record {
  std::string key; // "<registry>/<repository>@<manifest digest>": one per platform manifest
  std::string registry;
  std::string repository;
  std::vector<std::string> tags;
  std::string digest;       // manifest
  std::string index_digest; // the index it came from, if any
  std::string image_id;     // config digest
  std::string media_type;
  std::string artifact_type; // "" for a container image; else what it is (never scanned)
  std::string sync_error;    // why the last sync could not resolve it ("" = resolved)
  std::string os;
  std::string architecture;
  uint64_t size = 0;
  std::string created;
  std::string pushed;       // push time as the registry's API reports it, if it does
  std::string index_media_type; // of the index/list it came from, if any
  int64_t synced_at = 0;
  regscan::scan_status scan_status = regscan::scan_status::unscanned;
  int64_t last_scan = 0;
  std::string last_error;
  std::string last_error_code; // errc name of the failed scan's error, "" when none
  bool incomplete = false;
  std::map<std::string, int> severity_counts;
  int vuln_count = 0;
  int secret_count = -1;        // -1: the last scan did not look for secrets
  bool secrets_incomplete = false;
  std::map<std::string, int> secret_counts; // by severity
  int malware_count = -1;       // -1: the last scan did not look for malware
  bool malware_incomplete = false;
  std::map<std::string, int> malware_counts; // by severity
  std::vector<std::string> layers;
  std::string config_json;
  /// Licensed for scanning (daemon/license.hpp). True by default: images
  /// stored before licensing existed, and every image while no quota is
  /// configured, count as authorized.
  bool authorized = true;
};

// In the API's order. The view adds registry_type and registry_address after
// `registry`.
template <maybe_const<image_record> T, class F>
void fields(T& x, F&& f) {
  constexpr field_use not_shown{.shown = false};
  f("key", x.key);
  f("registry", x.registry);
  f("repository", x.repository);
  f("tags", x.tags);
  f("digest", x.digest);
  f("index_digest", x.index_digest);
  f("index_media_type", x.index_media_type);
  f("image_id", x.image_id);
  f("media_type", x.media_type);
  f("artifact_type", x.artifact_type);
  f("sync_error", x.sync_error);
  f("os", x.os);
  f("architecture", x.architecture);
  f("size", x.size);
  f("created", x.created, {.null_if_empty = true});
  f("pushed", x.pushed, {.null_if_empty = true});
  f("synced_at", x.synced_at);
  f("scan_status", x.scan_status);
  f("last_scan", x.last_scan);
  f("last_error", x.last_error);
  f("last_error_code", x.last_error_code);
  f("incomplete", x.incomplete);
  f("vuln_count", x.vuln_count, {.shown_as = "vulnerabilities"});
  f("severity_counts", x.severity_counts);
  f("secret_count", x.secret_count, {.shown_as = "secrets"});
  f("secrets_incomplete", x.secrets_incomplete);
  f("secret_counts", x.secret_counts);
  f("authorized", x.authorized);
  f("malware_count", x.malware_count, {.shown_as = "malware"});
  f("malware_incomplete", x.malware_incomplete);
  f("malware_counts", x.malware_counts);
  f("layers", x.layers, not_shown);
  // Kept as a string, not inlined: it must come back byte for byte.
  f("config_json", x.config_json, not_shown);
}

/// Sets the image's vuln_count and severity_counts from its findings.
inline void count_findings(image_record& img, const std::vector<finding>& findings) {
  img.severity_counts.clear();
  for (auto& f : findings)
    img.severity_counts[f.severity]++;
  img.vuln_count = static_cast<int>(findings.size());
}

/// Sets the image's secret counts from a scan's inventory.
inline void count_secrets(image_record& img, const inventory& inv) {
  img.secret_count = inv.secrets_scanned ? static_cast<int>(inv.secrets.size()) : -1;
  img.secrets_incomplete = inv.secrets_scanned && !inv.secrets_complete;
  img.secret_counts.clear();
  for (auto& f : inv.secrets)
    img.secret_counts[f.severity]++;
}

/// Sets the image's malware counts from a scan's inventory.
inline void count_malware(image_record& img, const inventory& inv) {
  img.malware_count = inv.malware_scanned ? static_cast<int>(inv.malware.size()) : -1;
  img.malware_incomplete = inv.malware_scanned && !inv.malware_complete;
  img.malware_counts.clear();
  for (auto& f : inv.malware)
    img.malware_counts[f.severity]++;
}

struct task_record {
  uint64_t id = 0;
  std::string image_key;
  std::string registry;
  task_state state = task_state::queued;
  int attempts = 0;      // runs started
  int interruptions = 0; // runs the daemon did not live to finish (crash, kill -9)
  int64_t created_at = 0;
  int64_t updated_at = 0;
  wait_reason waits_for = wait_reason::none;
  int64_t not_before = 0; // unix seconds; a waiting task is due then
  std::string error;
  std::string error_code; // errc name of the last error, "" when none
  /// What the scan looks for (scan_categories names); empty = everything available.
  std::vector<std::string> categories;
  /// Images with the same image ID that get this task's result (dedupe).
  std::vector<std::string> shares_with;
  /// Progress of a running task (layers analyzed of all), set by the supervisor's list.
  int layers_done = 0;
  int layers_total = 0;
  /// Where its last run ran: "local" (a slot of this daemon) or "worker 3 (host)"
  /// (a remote worker's id and host); "" before its first run.
  std::string runs_on;
};

template <maybe_const<task_record> T, class F>
void fields(T& x, F&& f) {
  f("id", x.id);
  f("image_key", x.image_key, {.shown_as = "image"});
  f("registry", x.registry);
  f("state", x.state);
  f("attempts", x.attempts);
  f("interruptions", x.interruptions);
  f("created_at", x.created_at);
  f("updated_at", x.updated_at);
  f("waits_for", x.waits_for);
  f("not_before", x.not_before);
  f("error", x.error);
  f("error_code", x.error_code);
  f("categories", x.categories);
  f("shares_with", x.shares_with);
  f("layers_done", x.layers_done);
  f("layers_total", x.layers_total);
  // Left out when empty: a record that never ran keeps the bytes it had before.
  f("runs_on", x.runs_on, {.omit_empty = true});
}

struct scan_result {
  std::string image_key;
  inventory inv;
  std::vector<finding> findings;
  int64_t scanned_at = 0;
  int64_t matched_at = 0; // last match against the database: the scan or a re-match
  /// store::db_generation() when the scan started matching; a result matched
  /// against an older database than the stored one is re-matched. Unset:
  /// the writer vouches that it matched against the current database. Not stored.
  std::optional<uint64_t> db_generation;
};

/// The findings part of a scan result, as the findings column family keeps
/// it: without the advisory text (title, description, references), which is
/// read from the advisory when a result is shown. A re-match rewrites only this.
struct findings_record {
  std::string image_key;
  std::vector<finding> findings;
  int64_t scanned_at = 0; // the scan whose inventory these were matched from
  int64_t matched_at = 0;
  /// Which stored result these belong to: a new one for every result written
  /// (0: written before there were any). A re-match writes only over the
  /// result it read.
  uint64_t result_seq = 0;
};

/// What a re-match still owes (store::pending_rematch): packages whose
/// advisories changed, and images matched against an older database. Each
/// entry with the token it was written with.
struct rematch_backlog {
  std::map<std::pair<std::string, std::string>, uint64_t> packages; // (ecosystem, name)
  std::map<std::string, uint64_t> images;                           // image key
  bool empty() const { return packages.empty() && images.empty(); }
};

/// How an import treats an archive that is much smaller than what is stored.
struct import_options {
  /// Without it, an archive that would remove more than a tenth of the stored
  /// records of one of its ecosystems is refused (errc::conflict).
  bool allow_shrink = false;
};

struct ecosystem_status {
  std::string ecosystem;
  uint64_t records = 0; // distinct record ids indexed under this ecosystem
  int64_t imported_at = 0;
  std::string source;
};

struct import_report {
  uint64_t read = 0;      // .json entries read from the archive
  uint64_t written = 0;   // new or changed records written
  uint64_t unchanged = 0; // stored JSON byte-identical: not rewritten
  uint64_t withdrawn = 0; // withdrawn records seen (removed when stored)
  uint64_t removed = 0;   // stored records of the archive's ecosystems that it no longer has
  /// (ecosystem, package) pairs whose advisories changed: what a re-match must look at.
  std::set<std::pair<std::string, std::string>> changed_packages;
  std::vector<std::string> errors; // "<entry>: <reason>"
  std::map<std::string, uint64_t> per_ecosystem; // live records in the archive per ecosystem
};

/// The scheduled scan (one per daemon): every `every_days` days at `at`
/// (HH:MM, the daemon's local time).
struct schedule_record {
  bool enabled = false;
  int every_days = 1; // 1, 7, 15 or 30
  std::string at = "00:00";
  std::vector<std::string> categories; // empty = everything available
  std::string scope = "all";           // all | latest
  int64_t next_run = 0;                // unix seconds; due when <= now
  int64_t last_run = 0;
  int64_t updated_at = 0;
};

template <maybe_const<schedule_record> T, class F>
void fields(T& x, F&& f) {
  f("enabled", x.enabled);
  f("every_days", x.every_days);
  f("at", x.at);
  f("categories", x.categories);
  f("scope", x.scope);
  f("next_run", x.next_run);
  f("last_run", x.last_run);
  f("updated_at", x.updated_at);
}

/// An accepted finding: it stops counting as risk for an image (key) or a
/// repository ("<registry>/<repository>") until it expires.
struct exception_record {
  uint64_t id = 0;
  std::string image;      // image key, or ""
  std::string repository; // "<registry>/<repository>", or ""
  std::string finding;    // advisory id or alias, or secret rule id
  std::string reason;
  int64_t expires = 0;    // unix seconds
  int64_t created_at = 0;
  int64_t created_by = -1; // the control-socket peer's uid
};

template <maybe_const<exception_record> T, class F>
void fields(T& x, F&& f) {
  f("id", x.id);
  f("image", x.image);
  f("repository", x.repository);
  f("finding", x.finding);
  f("reason", x.reason);
  f("expires", x.expires);
  f("created_at", x.created_at);
  f("created_by", x.created_by);
}

} // namespace regscan
