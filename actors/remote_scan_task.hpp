#pragma once
// The coordinator's half of a scan task that runs on a remote worker.
#include <atomic>
#include <memory>

#include "actors/actors.hpp"
#include "actors/scan_task.hpp"

namespace regscan {

class daemon_context;

/// Resolves the image and takes the pull permit (run_atom), hands `worker`
/// the job, then matches and stores the worker's result; or replays the
/// image here when the layer cache has every layer (no pull, no worker).
/// Ends by sending its scan_outcome to `parent`.
remote_scan_task_actor::behavior_type
remote_scan_task(remote_scan_task_actor::pointer self, daemon_context* ctx, task_record task,
                 std::shared_ptr<std::atomic<bool>> cancelled,
                 std::shared_ptr<scan_progress> progress, registry_actor registry,
                 supervisor_actor parent, worker_actor worker);

} // namespace regscan
