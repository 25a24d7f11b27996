#pragma once
// The scan supervisor: a persistent queue of scan tasks per registry, run a
// few at a time. A task that waits (for its registry's pull budget, or for
// a retry's backoff) holds no slot; only transient errors are retried;
// cancel stops a task in any phase, and its slot frees when it has stopped.
// Every state change is in RocksDB before it is acted on, so a restart
// (even after kill -9) finds the queue as it was.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/actors.hpp"
#include "actors/scan_task.hpp"

namespace regscan {

class daemon_context;

struct supervisor_state {
  static inline const char* name = "supervisor";
  struct running_task {
    caf::actor_addr addr;
    std::string registry;
    std::shared_ptr<std::atomic<bool>> cancel;
    std::shared_ptr<scan_progress> progress;
    bool cancel_requested = false;
    bool stop_requested = false; // shutdown: left queued for the next start
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    uint64_t worker = 0;           // the remote worker it runs on; 0 = a local slot
    remote_scan_task_actor remote; // its coordinator half, when remote
  };
  /// The joined remote workers, by id: each is a slot pool of its own.
  struct joined_worker {
    worker_info info;
    worker_actor handle;
    std::set<uint64_t> tasks;
  };
  std::map<uint64_t, joined_worker> workers;
  bool ticking = false; // the heartbeat check runs while workers are joined
  /// Ready tasks, per registry, in order: the slots go round the registries.
  std::map<std::string, std::deque<uint64_t>> ready;
  std::string last_registry; // the round's position
  /// Registries whose pull budget is spent, until when (unix seconds).
  std::map<std::string, int64_t> budget_until;
  /// Waiting tasks (for a retry's backoff or their registry's budget), each
  /// with its due time.
  struct delayed_task {
    int64_t until = 0;
    wait_reason why = wait_reason::backoff;
  };
  std::map<uint64_t, delayed_task> delayed;
  std::map<uint64_t, running_task> running;
  /// The active task of each image (queued, waiting or running), also of
  /// the images that share a task's result.
  std::map<std::string, uint64_t> active;
  /// Ended tasks per image, oldest first: only the last few are kept.
  std::map<std::string, std::deque<uint64_t>> ended;
  caf::typed_response_promise<bool> stopped; // answered when shutdown has drained
  bool stopping = false;
};

/// Ended tasks kept per image (the rest are deleted).
inline constexpr size_t kept_tasks_per_image = 3;

/// The backoff before retry `attempt` (1, 2, ...): base * 2^(attempt-1),
/// at most an hour, times a jitter in [0.5, 1.5) drawn from `unit` in [0, 1);
/// at least a second, and 0 when base is 0 (tests).
int64_t retry_backoff_seconds(int base, int attempt, double unit);

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, daemon_context* ctx);

} // namespace regscan
