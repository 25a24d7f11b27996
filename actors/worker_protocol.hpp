#pragma once
// What the coordinator (regscand) and its remote scan workers (regscan-worker)
// say to each other over CAF's middleman. Every payload is a plain struct with
// inspect(), serialized by CAF's binary serializer; the layer deltas are the
// layer cache's own encoding (storage/layer_codec). The actor interfaces are
// in actors.hpp with the others.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/detail/serialized_size.hpp>
#include <caf/meta/type_name.hpp>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"

namespace regscan {

// ---- the inventory a worker sends back (scanners/types.hpp) -----------------
// Each inspect() names every field of its struct: a field added there must be
// added here too (worker_protocol.every_field_of_a_finding_and_a_package_crosses
// checks those that have fields()).

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, os_info& x) {
  return f(caf::meta::type_name("os_info"), x.id, x.version_id, x.version_codename,
           x.pretty_name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, package& x) {
  return f(caf::meta::type_name("package"), x.ecosystem, x.name, x.version, x.source_name,
           x.source_version, x.file, x.layer, x.owner, x.module, x.kind, x.source_url);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owned_file& x) {
  return f(caf::meta::type_name("owned_file"), x.path, x.package);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, linked_file& x) {
  return f(caf::meta::type_name("linked_file"), x.file, x.also_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, secret_finding& x) {
  return f(caf::meta::type_name("secret_finding"), x.rule_id, x.rule_name, x.category,
           x.severity, x.location, x.line, x.masked, x.fingerprint, x.layer, x.deleted,
           x.deleted_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, malware_finding& x) {
  return f(caf::meta::type_name("malware_finding"), x.path, x.member, x.sha256, x.size, x.signature,
           x.source, x.type, x.severity, x.layer, x.deleted, x.deleted_by, x.advice);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inventory& x) {
  return f(caf::meta::type_name("inventory"), x.os, x.packages, x.owned_files, x.linked_files,
           x.complete, x.notes, x.secrets_scanned, x.secrets_complete, x.secrets,
           x.malware_scanned, x.malware_complete, x.malware_version, x.malware);
}

// ---- the protocol -------------------------------------------------------------

/// A worker asks to join: the shared token, its version (it must be the
/// daemon's), how many tasks it runs at once, and whether it has malware
/// signatures loaded (their version).
struct join_request {
  std::string token;
  std::string version;
  int32_t slots = 1;
  std::string host;
  std::string malware_version; // "" = none loaded
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.token, x.version, x.slots, x.host,
           x.malware_version);
}

/// The answer: accepted with the worker's id and a session key that every
/// later message of the worker carries, or refused and why.
struct join_answer {
  bool accepted = false;
  std::string reason;
  uint64_t worker = 0;
  std::string session;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_answer& x) {
  return f(caf::meta::type_name("join_answer"), x.accepted, x.reason, x.worker, x.session);
}

/// One layer of a job. `delta` is the coordinator's cached analysis of it
/// (storage/layer_codec), replayed instead of pulled; empty: pull it.
struct job_layer {
  std::string digest;
  std::string media_type;
  uint64_t size = 0;
  std::string diff_id;
  std::string delta;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_layer& x) {
  return f(caf::meta::type_name("job_layer"), x.digest, x.media_type, x.size, x.diff_id, x.delta);
}

/// A scan task handed to a worker: the pull + analyze half of a scan. The
/// coordinator has taken the registry's pull permit already. The credentials
/// are for this job only; the worker keeps them in memory, never on disk or
/// in a log. A registry with token auth gets a Bearer token for the
/// repository's pull scope (fetched by the coordinator) and no username or
/// password; else the registry's Basic credentials.
struct worker_job {
  uint64_t task = 0;
  std::string image_key; // for logs
  std::string registry;  // its name, for logs
  std::string address;
  std::string username;
  std::string password;
  std::string bearer_token;
  int64_t bearer_valid_seconds = 0;
  bool verify_tls = true;
  int64_t min_transfer_bytes_per_second = 0;
  int32_t min_transfer_window_seconds = 60;
  std::string repository;
  std::vector<job_layer> layers;
  std::vector<std::string> categories;
  /// The secret scanner to build (none when `secrets` is false): the user's
  /// rules (gitleaks TOML), the fingerprint key, and the [secrets] settings.
  bool secrets = false;
  std::string secret_rules;
  std::string secret_key;
  bool secrets_skip_test_paths = true;
  uint64_t secrets_max_file_bytes = 0;
  /// The coordinator's layer cache version for this job's scanners: the
  /// deltas are only replayed, and the new ones only kept, when it matches.
  std::string cache_version;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_job& x) {
  return f(caf::meta::type_name("worker_job"), x.task, x.image_key, x.registry, x.address,
           x.username, x.password, x.bearer_token, x.bearer_valid_seconds, x.verify_tls, x.min_transfer_bytes_per_second,
           x.min_transfer_window_seconds, x.repository, x.layers, x.categories, x.secrets,
           x.secret_rules, x.secret_key, x.secrets_skip_test_paths, x.secrets_max_file_bytes,
           x.cache_version);
}

/// A layer the worker analyzed: its delta for the coordinator's layer cache.
struct analyzed_layer {
  std::string diff_id;
  std::string delta;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, analyzed_layer& x) {
  return f(caf::meta::type_name("analyzed_layer"), x.diff_id, x.delta);
}

/// What a job came to: the image's inventory and the new layer deltas, or
/// the error (cancelled, transport, ...).
struct worker_result {
  uint64_t task = 0;
  bool ok = false;
  errc code = errc::internal;
  std::string error;
  inventory inv;
  std::vector<analyzed_layer> layers;
  std::string cache_version; // the worker's
  uint64_t bytes_pulled = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_result& x) {
  return f(caf::meta::type_name("worker_result"), x.task, x.ok, x.code, x.error, x.inv, x.layers,
           x.cache_version, x.bytes_pulled);
}

/// A joined worker, as `regscanctl workers list` shows it.
struct worker_info {
  uint64_t id = 0;
  std::string address; // the peer's, as the connection says
  std::string host;    // as the worker says
  std::string version;
  int32_t slots = 0;
  int32_t running = 0;
  int64_t joined_at = 0;
  int64_t last_heartbeat = 0;
  std::string malware_version;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("worker_info"), x.id, x.address, x.host, x.version, x.slots,
           x.running, x.joined_at, x.last_heartbeat, x.malware_version);
}

// ---- message sizes ------------------------------------------------------------
// CAF 0.17's BASP has no limit of its own: it reads a whole message (up to
// 4 GiB, as its header says) before any handler runs. These bound what the
// gate accepts past that point: a larger join is refused, a larger result
// ends its worker; a worker never sends a larger result (its task fails).

constexpr size_t max_join_bytes = 64u << 10;
constexpr size_t max_result_bytes = 256u << 20;

/// The size of `x` as CAF's binary serializer writes it.
template <class T>
size_t wire_size(const T& x) {
  caf::detail::serialized_size_inspector f{static_cast<caf::execution_unit*>(nullptr)};
  f(const_cast<T&>(x));
  return f.result();
}

} // namespace regscan
