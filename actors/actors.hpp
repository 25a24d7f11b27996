#pragma once
// Every actor interface of regscand and every message it carries, in one
// place. Payloads are plain structs with inspect(), so they can cross a
// process boundary (remote scan workers) unchanged; no payload is JSON. Big
// data (images, results) lives in RocksDB, written before the message that
// refers to it is sent.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

// ---- payloads ---------------------------------------------------------------

enum class sync_state { never, running, done, failed };

constexpr const char* to_string(sync_state s) {
  switch (s) {
    case sync_state::never: return "never";
    case sync_state::running: return "running";
    case sync_state::done: return "done";
    case sync_state::failed: return "failed";
  }
  return "never";
}

/// The current or last sync of one registry.
struct sync_progress {
  sync_state state = sync_state::never;
  uint64_t repositories = 0;
  uint64_t repositories_done = 0;
  uint64_t tags = 0;
  uint64_t images = 0;
  uint64_t resolved = 0; // tags whose manifest was fetched (the rest were unchanged)
  uint64_t removed = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_progress& x) {
  return f(caf::meta::type_name("sync_progress"), x.state, x.repositories, x.repositories_done,
           x.tags, x.images, x.resolved, x.removed, x.started_at, x.finished_at, x.error);
}

/// One check of `registry test`: what it tried and, when it failed, why.
struct registry_check {
  std::string what;
  std::string error; // "" = passed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registry_check& x) {
  return f(caf::meta::type_name("registry_check"), x.what, x.error);
}

/// How a scan task's run ended.
struct scan_outcome {
  uint64_t task = 0;
  bool ok = false;
  errc code = errc::internal;
  std::string error;
  /// code == limit and > 0: the registry's pull budget is spent until then
  /// (unix seconds); the task did not pull and should wait, not fail.
  int64_t budget_until = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_outcome& x) {
  return f(caf::meta::type_name("scan_outcome"), x.task, x.ok, x.code, x.error, x.budget_until);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.id, x.image_key, x.registry, x.state,
           x.attempts, x.interruptions, x.created_at, x.updated_at, x.waits_for, x.not_before,
           x.error, x.error_code);
}

} // namespace regscan

CAF_BEGIN_TYPE_ID_BLOCK(regscan, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(regscan, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(regscan, (std::vector<uint64_t>))
  CAF_ADD_TYPE_ID(regscan, (regscan::sync_progress))
  CAF_ADD_TYPE_ID(regscan, (regscan::registry_check))
  CAF_ADD_TYPE_ID(regscan, (std::vector<regscan::registry_check>))
  CAF_ADD_TYPE_ID(regscan, (regscan::scan_outcome))
  CAF_ADD_TYPE_ID(regscan, (regscan::task_record))
  CAF_ADD_TYPE_ID(regscan, (std::vector<regscan::task_record>))
  CAF_ADD_ATOM(regscan, regscan, sync_atom, "sync")
  CAF_ADD_ATOM(regscan, regscan, status_atom, "status")
  CAF_ADD_ATOM(regscan, regscan, test_atom, "test")
  CAF_ADD_ATOM(regscan, regscan, acquire_atom, "acquire")
  CAF_ADD_ATOM(regscan, regscan, scan_atom, "scan")
  CAF_ADD_ATOM(regscan, regscan, cancel_atom, "cancel")
  CAF_ADD_ATOM(regscan, regscan, retry_atom, "retry")
  CAF_ADD_ATOM(regscan, regscan, progress_atom, "progress")
  CAF_ADD_ATOM(regscan, regscan, done_atom, "done")
  CAF_ADD_ATOM(regscan, regscan, dispatch_atom, "dispatch")
  CAF_ADD_ATOM(regscan, regscan, run_atom, "run")
  CAF_ADD_ATOM(regscan, regscan, configure_atom, "configure")
  CAF_ADD_ATOM(regscan, regscan, list_atom, "list")
  CAF_ADD_ATOM(regscan, regscan, stop_atom, "stop")
CAF_END_TYPE_ID_BLOCK(regscan)

namespace regscan {

/// Counts the images pulled from one registry in a sliding hour, kept in
/// RocksDB so that restarts and edits keep it.
using rate_limiter_actor = caf::typed_actor<
  /// Asks to pull one image: 0 = granted (and counted), else the unix time
  /// at which a pull will be allowed.
  caf::replies_to<acquire_atom>::with<int64_t>,
  /// A new limit (images per hour, 0 = unlimited); the window is kept.
  caf::reacts_to<configure_atom, int32_t>>;

/// One per registry: owns its rate limiter and its sync jobs.
using registry_actor = caf::typed_actor<
  /// Starts a sync unless one runs; true when this call started it.
  caf::replies_to<sync_atom>::with<bool>,
  /// The current or last sync's progress.
  caf::replies_to<status_atom>::with<sync_progress>,
  /// Checks endpoint and credentials as a sync would.
  caf::replies_to<test_atom>::with<std::vector<registry_check>>,
  /// Asks the registry's rate limiter for one pull (see rate_limiter_actor).
  caf::replies_to<acquire_atom>::with<int64_t>,
  /// The registry was edited: its new pull limit. A running sync finishes.
  caf::reacts_to<configure_atom, int32_t>,
  /// The registry is being deleted: a running sync stops, then the actor.
  caf::reacts_to<stop_atom>,
  /// From a sync job: its progress.
  caf::reacts_to<progress_atom, sync_progress>>;

/// A sync job: lists one registry and stores its images. Blocking HTTP, so
/// it is spawned detached; it reports progress to its registry and ends.
using sync_job_actor = caf::typed_actor<caf::reacts_to<run_atom>>;

/// A scan task: scans one image. Blocking HTTP and CPU work on a detached
/// thread; it ends by sending its scan_outcome to the supervisor. It stops
/// early when its cancel flag (shared with the supervisor) is set: a
/// blocked read cannot take a message.
using scan_task_actor = caf::typed_actor<caf::reacts_to<run_atom>>;

/// Queues, runs, retries and cancels scan tasks.
using supervisor_actor = caf::typed_actor<
  /// Queues one task per image key; answers the task ids.
  caf::replies_to<scan_atom, std::vector<std::string>>::with<std::vector<uint64_t>>,
  /// Cancels queued, waiting or running tasks; answers, per id, whether it
  /// was active. A running task holds its slot until it has really stopped.
  caf::replies_to<cancel_atom, std::vector<uint64_t>>::with<std::vector<uint64_t>>,
  /// Every kept task, the active ones with why and until when they wait.
  caf::replies_to<list_atom>::with<std::vector<task_record>>,
  /// Starts tasks that can run now while there are free slots.
  caf::reacts_to<dispatch_atom>,
  /// A waiting task is due.
  caf::reacts_to<retry_atom, uint64_t>,
  /// From a scan task: it ended.
  caf::reacts_to<done_atom, scan_outcome>,
  /// Shutdown: running tasks are stopped and left queued for the next start;
  /// answers once none runs.
  caf::replies_to<stop_atom>::with<bool>>;

/// Ticks once a minute and starts due nightly syncs.
using scheduler_actor = caf::typed_actor<caf::reacts_to<run_atom>>;

} // namespace regscan
