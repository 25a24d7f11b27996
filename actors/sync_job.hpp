#pragma once
// A sync job: runs one sync (daemon/sync.hpp) on a detached thread.
#include <atomic>
#include <memory>
#include <string>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

/// Runs one sync on `run_atom`, reports to `parent`, and quits. It stops
/// early, as failed, once `cancelled` is set (the registry is being deleted).
sync_job_actor::behavior_type sync_job(sync_job_actor::pointer self, daemon_context* ctx,
                                       std::string registry_name, registry_actor parent,
                                       std::shared_ptr<std::atomic<bool>> cancelled);

} // namespace regscan
