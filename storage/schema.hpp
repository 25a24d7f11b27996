#pragma once
// The one place that knows how regscan lays out its keys in RocksDB.
// Values are JSON (written with json_writer, read with simdjson) unless noted.
// Integers inside keys are big-endian so that they sort numerically.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace regscan::schema {

/// Column family indices; `column_families` below gives their names.
enum class cf : std::size_t {
  registries, // registry name -> registry_record
  images,     // image key "<registry>/<repository>@<manifest digest>" -> image_record
  tasks,      // task id (u64, big-endian, 8 bytes) -> task_record
  results,    // image key -> scan_result without its findings (the inventory)
  vulns,      // OSV record id -> raw OSV JSON, byte for byte as imported
  vuln_index, // ecosystem \0 package name \0 record id -> "" (one per affected package)
  meta,       // "seq/task" -> last issued task id (u64, big-endian, 8 bytes)
              // "db/<ecosystem>" -> ecosystem_status
              // "schema/results" -> layout version of results (u64, 8 bytes)
              // "budget/<registry>" -> its pulls of the last hour (budget_key)
              // "schedule/scan" -> schedule_record (the scheduled scan)
              // "exception/<id u64 big-endian>" -> exception_record
              // "seq/exception" -> last issued exception id (u64, big-endian)
  findings,   // image key -> findings_record (advisory text left out)
  package_index, // family \0 lookup name \0 image key -> the image's packages under
                 // that name: what a re-match after a database change looks at
  layers,     // diffID \0 analyzer version -> a layer's delta (storage/layer_codec.hpp,
              // binary); one version per diffID
  rematch_pending, // what a re-match still owes, written with the change that causes it:
                   // "p\0" ecosystem \0 package name -> token (u64): advisories changed;
                   // "i\0" image key -> token (u64): findings matched against an older
                   // database. The token tells a newer entry from the one a re-match read.
  malware_verdicts, // signature set version \0 content sha256 (hex) -> malware_verdict:
                    // what the malware scanner said of one content (a verdict cache)
  count
};

/// "default" is required by RocksDB and holds nothing.
inline constexpr std::array<std::string_view, static_cast<std::size_t>(cf::count)>
  column_families = {"registries", "images",   "tasks",         "results", "vulns",
                     "vuln_index", "meta",     "findings",      "package_index", "layers",
                     "rematch_pending", "malware_verdicts"};

inline constexpr std::size_t index(cf c) { return static_cast<std::size_t>(c); }

// --- images / results ------------------------------------------------------

inline std::string image_key(std::string_view registry, std::string_view repository,
                             std::string_view manifest_digest) {
  std::string k;
  k.reserve(registry.size() + repository.size() + manifest_digest.size() + 2);
  k.append(registry).append("/").append(repository).append("@").append(manifest_digest);
  return k;
}

// --- layer cache -------------------------------------------------------------

/// Every key of one layer: "diffID\0".
inline std::string layer_prefix(std::string_view diff_id) {
  std::string k{diff_id};
  k.push_back('\0');
  return k;
}

inline std::string layer_key(std::string_view diff_id, std::string_view analyzer_version) {
  return layer_prefix(diff_id).append(analyzer_version);
}

// --- malware verdict cache -----------------------------------------------------

/// Every verdict of one signature set: "version\0".
inline std::string malware_verdict_prefix(std::string_view version) {
  std::string k{version};
  k.push_back('\0');
  return k;
}

inline std::string malware_verdict_key(std::string_view version, std::string_view sha256) {
  return malware_verdict_prefix(version).append(sha256);
}

// --- tasks and sequences ---------------------------------------------------

inline std::string encode_u64(uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8)
    k[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return k;
}

inline std::optional<uint64_t> decode_u64(std::string_view k) {
  if (k.size() != 8)
    return std::nullopt;
  uint64_t v = 0;
  for (unsigned char c : k)
    v = (v << 8) | c;
  return v;
}

inline std::string task_key(uint64_t id) { return encode_u64(id); }

inline constexpr std::string_view meta_task_seq = "seq/task";
/// The vulnerability database's generation (u64): bumped in the batch of
/// every import write that changes records.
inline constexpr std::string_view meta_db_generation = "seq/vulndb";
/// The last result sequence (u64): each stored scan result gets the next.
inline constexpr std::string_view meta_result_seq = "seq/result";

/// "budget/<registry>" -> the start times of its pulls in the last hour, each
/// a u64 big-endian (8 bytes): the pull budget outlives restarts and edits.
inline std::string budget_key(std::string_view registry) {
  return std::string{"budget/"}.append(registry);
}

/// 2: findings and the package index apart from the inventory. Version 1
/// kept the findings, with their advisory text, inside the result.
inline constexpr std::string_view meta_results_layout = "schema/results";
/// "secrets/rules" -> the user's secret rules (gitleaks TOML), as imported.
inline constexpr std::string_view meta_secret_rules = "secrets/rules";
/// "console/image-columns" -> the image list's saved columns, comma-separated
/// (one choice for every user of the socket).
inline constexpr std::string_view meta_image_columns = "console/image-columns";
inline constexpr uint64_t results_layout = 2;

// --- scheduled scan and exceptions ---------------------------------------------

inline constexpr std::string_view meta_scan_schedule = "schedule/scan";
inline constexpr std::string_view meta_exception_prefix = "exception/";
inline constexpr std::string_view meta_exception_seq = "seq/exception";

inline std::string exception_key(uint64_t id) {
  return std::string{meta_exception_prefix}.append(encode_u64(id));
}

// --- package index -----------------------------------------------------------

/// The part of an OSV ecosystem before the first ':' ("Debian" of
/// "Debian:12"): a record's ecosystem covers a package's only within one family.
inline std::string_view ecosystem_family(std::string_view ecosystem) {
  return ecosystem.substr(0, ecosystem.find(':'));
}

/// Every image with a package of `family` filed under `name`: "family\0name\0".
inline std::string package_index_prefix(std::string_view family, std::string_view name) {
  std::string k;
  k.reserve(family.size() + name.size() + 2);
  k.append(family).push_back('\0');
  k.append(name).push_back('\0');
  return k;
}

inline std::string package_index_key(std::string_view family, std::string_view name,
                                     std::string_view image_key) {
  return package_index_prefix(family, name).append(image_key);
}

// --- re-match pending ---------------------------------------------------------

inline constexpr std::string_view pending_package_prefix{"p\0", 2};
inline constexpr std::string_view pending_image_prefix{"i\0", 2};

inline std::string pending_package_key(std::string_view ecosystem, std::string_view name) {
  std::string k{pending_package_prefix};
  k.append(ecosystem).push_back('\0');
  k.append(name);
  return k;
}

inline std::string pending_image_key(std::string_view image_key) {
  return std::string{pending_image_prefix}.append(image_key);
}

// --- vulnerability database ------------------------------------------------

inline constexpr std::string_view meta_db_prefix = "db/";

inline std::string meta_db_key(std::string_view ecosystem) {
  return std::string{meta_db_prefix}.append(ecosystem);
}

/// Every key of one package: "ecosystem\0name\0".
inline std::string vuln_index_prefix(std::string_view ecosystem, std::string_view name) {
  std::string k;
  k.reserve(ecosystem.size() + name.size() + 2);
  k.append(ecosystem).push_back('\0');
  k.append(name).push_back('\0');
  return k;
}

/// Every key of one ecosystem: "ecosystem\0".
inline std::string vuln_index_ecosystem_prefix(std::string_view ecosystem) {
  std::string k{ecosystem};
  k.push_back('\0');
  return k;
}

inline std::string vuln_index_key(std::string_view ecosystem, std::string_view name,
                                  std::string_view id) {
  return vuln_index_prefix(ecosystem, name).append(id);
}

/// What follows the second separator of a key (the record id of a vuln_index
/// key, the image key of a package_index key); empty when the key is malformed.
inline std::string_view third_key_part(std::string_view key) {
  auto first = key.find('\0');
  if (first == std::string_view::npos)
    return {};
  auto second = key.find('\0', first + 1);
  if (second == std::string_view::npos)
    return {};
  return key.substr(second + 1);
}

/// A component of a composite key must not contain the separator.
inline bool valid_key_part(std::string_view s) {
  return !s.empty() && s.find('\0') == std::string_view::npos;
}

} // namespace regscan::schema
