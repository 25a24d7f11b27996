#pragma once
// Every actor handle and every message type of regscand, in one place.
// Messages carry plain values; big data (images, results) lives in RocksDB,
// written before the message that refers to it is sent.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <caf/replies_to.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(regscan, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(regscan, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(regscan, (std::vector<uint64_t>))
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
CAF_END_TYPE_ID_BLOCK(regscan)

namespace regscan {

/// Counts the images pulled from one registry per hour.
using rate_limiter_actor = caf::typed_actor<
  /// Asks to pull one image: 0 = granted (and counted), else seconds to wait.
  caf::replies_to<acquire_atom>::with<int64_t>>;

/// One per registry: owns its rate limiter and its sync jobs.
using registry_actor = caf::typed_actor<
  /// Starts a sync unless one runs; answers "started" or "running".
  caf::replies_to<sync_atom>::with<std::string>,
  /// The current or last sync's progress, as JSON.
  caf::replies_to<status_atom>::with<std::string>,
  /// Checks address and credentials: "" when fine, else the error.
  caf::replies_to<test_atom>::with<std::string>,
  /// Asks the registry's rate limiter for one pull.
  caf::replies_to<acquire_atom>::with<int64_t>,
  /// From a sync job: its progress, as JSON.
  caf::reacts_to<progress_atom, std::string>>;

/// Queues, runs, retries and cancels scan tasks.
using supervisor_actor = caf::typed_actor<
  /// Queues one task per image key; answers the task ids.
  caf::replies_to<scan_atom, std::vector<std::string>>::with<std::vector<uint64_t>>,
  /// Cancels a queued or running task; false when it was not active.
  caf::replies_to<cancel_atom, uint64_t>::with<bool>,
  /// Starts queued tasks while there is room.
  caf::reacts_to<dispatch_atom>,
  /// Puts a task back in the queue after a backoff or a rate-limit wait.
  caf::reacts_to<retry_atom, uint64_t>,
  /// From a scan task: it ended; the error is empty on success.
  caf::reacts_to<done_atom, uint64_t, std::string>>;

} // namespace regscan
