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
#include "daemon/rematch.hpp"
#include "daemon/scan_request.hpp"
#include "daemon/sync.hpp"
#include "daemon/vulndb_update.hpp"
#include "storage/records.hpp"
#include "actors/worker_protocol.hpp"

namespace regscan {

// ---- payloads ---------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_progress& x) {
  return f(caf::meta::type_name("sync_progress"), x.state, x.repositories, x.repositories_done,
           x.tags, x.images, x.resolved, x.removed, x.started_at, x.finished_at, x.error,
           x.images_ok, x.images_skipped, x.images_failed, x.projects_skipped, x.notes);
}

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
           x.error, x.error_code, x.categories, x.shares_with, x.layers_done, x.layers_total,
           x.runs_on);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_report& x) {
  return f(caf::meta::type_name("import_report"), x.read, x.written, x.unchanged, x.withdrawn,
           x.removed, x.changed_packages, x.errors, x.per_ecosystem);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, archive_outcome& x) {
  return f(caf::meta::type_name("archive_outcome"), x.ecosystem, x.url, x.error, x.read,
           x.written, x.removed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vulndb_update_request& x) {
  return f(caf::meta::type_name("vulndb_update_request"), x.mirror, x.ecosystems, x.allow_shrink);
}

/// The answer to an import or an update: what it did, and the re-match
/// generation to wait for (rematch_status.completed >= it).
struct vulndb_change {
  bool ok = false;
  errc code = errc::internal;
  std::string error;
  std::vector<archive_outcome> archives; // update only
  import_report total;                   // its changed_packages are left out
  uint64_t rematch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vulndb_change& x) {
  return f(caf::meta::type_name("vulndb_change"), x.ok, x.code, x.error, x.archives, x.total,
           x.rematch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rematch_report& x) {
  return f(caf::meta::type_name("rematch_report"), x.inventories, x.matched, x.updated,
           x.new_findings, x.advisory_keys, x.seconds, x.errors);
}

/// Where re-matching stands.
struct rematch_status {
  bool running = false;
  uint64_t requested = 0; // generation of the latest request
  uint64_t completed = 0; // every request up to this generation is done
  int64_t finished_at = 0;
  rematch_report last;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rematch_status& x) {
  return f(caf::meta::type_name("rematch_status"), x.running, x.requested, x.completed,
           x.finished_at, x.last, x.last_error);
}

/// The supervisor's queue, for systemd's STATUS= and the metrics.
struct queue_counts {
  uint64_t queued = 0;          // ready for a slot
  uint64_t waiting_budget = 0;  // for their registry's pull budget
  uint64_t waiting_backoff = 0; // for a retry's backoff
  uint64_t running = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_counts& x) {
  return f(caf::meta::type_name("queue_counts"), x.queued, x.waiting_budget, x.waiting_backoff,
           x.running);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_group& x) {
  return f(caf::meta::type_name("scan_group"), x.key, x.shares_with);
}

/// Scans to queue: one task per group, looking for `categories` (empty: all).
struct scan_order {
  std::vector<scan_group> groups;
  std::vector<std::string> categories;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_order& x) {
  return f(caf::meta::type_name("scan_order"), x.groups, x.categories);
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
  CAF_ADD_TYPE_ID(regscan, (regscan::package_keys))
  CAF_ADD_TYPE_ID(regscan, (regscan::import_report))
  CAF_ADD_TYPE_ID(regscan, (regscan::archive_outcome))
  CAF_ADD_TYPE_ID(regscan, (regscan::vulndb_update_request))
  CAF_ADD_TYPE_ID(regscan, (regscan::vulndb_change))
  CAF_ADD_TYPE_ID(regscan, (regscan::rematch_report))
  CAF_ADD_TYPE_ID(regscan, (regscan::rematch_status))
  CAF_ADD_TYPE_ID(regscan, (regscan::queue_counts))
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
  CAF_ADD_ATOM(regscan, regscan, import_atom, "import")
  CAF_ADD_ATOM(regscan, regscan, update_atom, "update")
  CAF_ADD_ATOM(regscan, regscan, rematch_atom, "rematch")
  CAF_ADD_ATOM(regscan, regscan, ping_atom, "ping")
  CAF_ADD_TYPE_ID(regscan, (regscan::scan_group))
  CAF_ADD_TYPE_ID(regscan, (std::vector<regscan::scan_group>))
  CAF_ADD_TYPE_ID(regscan, (regscan::scan_order))
  CAF_ADD_TYPE_ID(regscan, (regscan::join_request))
  CAF_ADD_TYPE_ID(regscan, (regscan::join_answer))
  CAF_ADD_TYPE_ID(regscan, (regscan::worker_job))
  CAF_ADD_TYPE_ID(regscan, (regscan::worker_result))
  CAF_ADD_TYPE_ID(regscan, (regscan::worker_info))
  CAF_ADD_TYPE_ID(regscan, (std::vector<regscan::worker_info>))
  CAF_ADD_ATOM(regscan, regscan, join_atom, "join")
  CAF_ADD_ATOM(regscan, regscan, heartbeat_atom, "heartbeat")
  CAF_ADD_ATOM(regscan, regscan, workers_atom, "workers")
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

/// The coordinator's half of a task that runs on a remote worker: on a
/// thread of its own it resolves the image and takes the pull permit, hands
/// the worker the job (anonymously: no handle of the daemon but the gate's
/// ever reaches a worker), then matches and stores what comes back, and
/// ends by sending its scan_outcome to the supervisor.
using remote_scan_task_actor = caf::typed_actor<
  caf::reacts_to<run_atom>,
  /// The worker's result, passed on by the supervisor.
  caf::reacts_to<done_atom, worker_result>,
  /// Cancelled or shut down: ends now (the worker was told too).
  caf::reacts_to<cancel_atom>,
  /// The worker is gone (why): ends with errc::unavailable, so it is retried.
  caf::reacts_to<stop_atom, std::string>>;

/// A remote scan worker (regscan-worker). The coordinator sends it jobs and
/// cancels, always with anon_send.
using worker_actor = caf::typed_actor<
  caf::reacts_to<scan_atom, worker_job>,
  caf::reacts_to<cancel_atom, uint64_t>,
  /// Its own: a job's thread ended; the heartbeat's tick.
  caf::reacts_to<done_atom, uint64_t>,
  caf::reacts_to<heartbeat_atom>>;

/// The coordinator's gate, published on workers.listen: the only actor of
/// regscand that a peer can address. A join is checked (token, version)
/// before anything else; every later message carries the session key the
/// join gave, and is dropped without one.
using coordinator_actor = caf::typed_actor<
  caf::replies_to<join_atom, join_request>::with<join_answer>,
  /// Session, the tasks it runs.
  caf::reacts_to<heartbeat_atom, std::string, int32_t>,
  /// Session, a job's result.
  caf::reacts_to<done_atom, std::string, worker_result>>;

/// Queues, runs, retries and cancels scan tasks.
using supervisor_actor = caf::typed_actor<
  /// Queues one task per image key; answers the task ids.
  caf::replies_to<scan_atom, std::vector<std::string>>::with<std::vector<uint64_t>>,
  /// Queues one task per group (its result recorded for the group's other
  /// images), looking for the order's categories; answers the task id of
  /// each group (an image already active answers its running task's id).
  caf::replies_to<scan_atom, scan_order>::with<std::vector<uint64_t>>,
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
  caf::replies_to<stop_atom>::with<bool>,
  /// The queue's counts; answering at all is the watchdog's sign of life.
  caf::replies_to<status_atom>::with<queue_counts>,
  /// From the gate: a worker joined (its handle, as its connection gave it).
  caf::reacts_to<join_atom, worker_info, caf::actor>,
  /// From the gate: worker id, the tasks it says it runs.
  caf::reacts_to<heartbeat_atom, uint64_t, int32_t>,
  /// From the gate: worker id, a job's result.
  caf::reacts_to<done_atom, uint64_t, worker_result>,
  /// Its own tick while workers are joined: drops the silent ones.
  caf::reacts_to<heartbeat_atom>,
  /// The joined workers.
  caf::replies_to<workers_atom>::with<std::vector<worker_info>>>;

/// Ticks once a minute and starts due nightly syncs.
using scheduler_actor = caf::typed_actor<caf::reacts_to<run_atom>,
                                         /// The watchdog's sign of life.
                                         caf::replies_to<ping_atom>::with<bool>>;

/// The scheduled scan: ticks once a minute (and on run_atom), and when the
/// stored schedule is due queues its scan with the supervisor.
using scan_schedule_actor = caf::typed_actor<caf::reacts_to<run_atom>,
                                             /// The watchdog's sign of life.
                                             caf::replies_to<ping_atom>::with<bool>>;

/// Matches stored inventories again when the vulnerability database
/// changes, one run at a time on a thread of its own; requests that come
/// while one runs are folded into the next run.
using rematch_actor = caf::typed_actor<
  /// Queues these packages (empty: what the store's backlog owes); answers
  /// the generation to wait for.
  caf::replies_to<rematch_atom, package_keys>::with<uint64_t>,
  caf::replies_to<status_atom>::with<rematch_status>,
  /// From its worker: the run of this generation ended (an error, or "").
  caf::reacts_to<done_atom, uint64_t, rematch_report, std::string>>;

/// Imports and updates of the vulnerability database, one at a time on a
/// thread of its own; each asks the re-match of what it changed.
using vulndb_actor = caf::typed_actor<
  /// The bytes of an all.zip, its label, and whether it may shrink an ecosystem.
  caf::replies_to<import_atom, std::string, std::string, bool>::with<vulndb_change>,
  caf::replies_to<update_atom, vulndb_update_request>::with<vulndb_change>>;

} // namespace regscan
