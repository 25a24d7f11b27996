#pragma once
// A scan task: runs one scan (daemon/scan.hpp) on a detached thread.
#include <atomic>
#include <memory>
#include <string>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

/// Runs one scan on `run_atom`, sends its scan_outcome to `parent`, quits.
scan_task_actor::behavior_type scan_task(scan_task_actor::pointer self, daemon_context* ctx,
                                         uint64_t task_id, std::string image_key,
                                         std::shared_ptr<std::atomic<bool>> cancelled,
                                         registry_actor registry, supervisor_actor parent);

} // namespace regscan
