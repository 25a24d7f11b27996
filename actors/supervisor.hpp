#pragma once
// The scan supervisor: a persistent queue of scan tasks, run a few at a time
// within each registry's pull budget, retried with backoff, cancellable.
// Every state change is in RocksDB before it is acted on, so a restart
// (even after kill -9) finds the queue as it was.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include <caf/actor.hpp>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

struct supervisor_state {
  static inline const char* name = "supervisor";
  struct running_task {
    caf::actor_addr addr;
    caf::actor handle;
    std::shared_ptr<std::atomic<bool>> cancelled;
  };
  std::deque<uint64_t> queue;
  std::set<uint64_t> waiting; // asking for a pull permit, or in backoff
  std::map<uint64_t, running_task> running;
};

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, daemon_context* ctx);

} // namespace regscan
