#pragma once
// A scan task: runs one scan (daemon/scan.hpp) on a detached thread.
#include <atomic>
#include <memory>
#include <string>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

/// How far a running scan is: written by its thread, read by the supervisor.
struct scan_progress {
  std::atomic<int> layers_done{0};
  std::atomic<int> layers_total{0};
};

/// Runs the scan of `task` (its image, categories and the images sharing its
/// result) on `run_atom`, sends its scan_outcome to `parent`, quits.
scan_task_actor::behavior_type scan_task(scan_task_actor::pointer self, daemon_context* ctx,
                                         task_record task,
                                         std::shared_ptr<std::atomic<bool>> cancelled,
                                         std::shared_ptr<scan_progress> progress,
                                         registry_actor registry, supervisor_actor parent);

} // namespace regscan
