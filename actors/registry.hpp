#pragma once
// The actor of one registry: owns its rate limiter and its sync jobs. An
// edit reaches it as a configure message: it is never respawned, so neither
// the hour's pull budget nor a running sync is lost or doubled.
#include <atomic>
#include <memory>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

struct registry_state {
  static inline const char* name = "registry";
  std::string registry_name;
  rate_limiter_actor limiter;
  caf::actor_addr job;
  std::shared_ptr<std::atomic<bool>> job_cancel;
  bool stopping = false;
  sync_progress progress;
};

/// Spawns the actor of a stored registry and files it in ctx.
void start_registry(caf::actor_system& sys, daemon_context& ctx, const registry_record& rec);

registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self, daemon_context* ctx,
         std::string name, int rate_limit);

} // namespace regscan
