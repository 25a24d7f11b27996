#pragma once
// The actor of one registry: owns its rate limiter and runs its syncs.
#include <string>

#include <caf/actor.hpp>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

struct registry_state {
  static inline const char* name = "registry";
  std::string registry_name;
  rate_limiter_actor limiter;
  caf::actor_addr job;
  std::string progress = R"({"state":"never"})";
};

registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self, daemon_context* ctx,
         std::string name, int rate_limit);

} // namespace regscan
