#pragma once
// The coordinator's gate for remote scan workers: the one actor regscand
// publishes on workers.listen (CAF's middleman, BASP). It checks a join
// (the shared token in constant time, then the version) before anything
// else; every later message must carry the session key the join gave. A
// join or a result above the protocol's size bounds (worker_protocol.hpp)
// is not passed on: the join is refused, the result's worker is told to go.
#include <cstdint>
#include <map>
#include <string>

#include <caf/actor_addr.hpp>

#include "actors/actors.hpp"

namespace regscan {

struct worker_gate_state {
  static inline const char* name = "worker_gate";
  struct session {
    uint64_t worker = 0;
    caf::actor_addr handle; // weak: the supervisor holds the worker
  };
  std::map<std::string, session> sessions; // session key -> the worker
  uint64_t next_id = 1;
  uint64_t refused = 0;
};

/// The largest join and result the gate takes (worker_protocol.hpp's, but
/// a test may make them small).
struct worker_gate_limits {
  size_t max_join = max_join_bytes;
  size_t max_result = max_result_bytes;
};

coordinator_actor::behavior_type
worker_gate(coordinator_actor::stateful_pointer<worker_gate_state> self, supervisor_actor supervisor,
            std::string token, std::string version, worker_gate_limits limits);

/// Whether two strings are equal, in a time that does not depend on where
/// they differ.
bool same_secret(const std::string& a, const std::string& b);

/// The token in a file: its first line, without surrounding blanks; an
/// error when it cannot be read or is shorter than 16 characters.
expected<std::string> read_worker_token(const std::string& path);

} // namespace regscan
