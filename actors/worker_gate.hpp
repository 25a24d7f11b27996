#pragma once
// The coordinator's gate for remote scan workers: the one actor regscand
// publishes on workers.listen (CAF's middleman, BASP). It checks a join
// (the shared token in constant time, then the version) before anything
// else; every later message must carry the session key the join gave.
#include <cstdint>
#include <map>
#include <string>

#include "actors/actors.hpp"

namespace regscan {

struct worker_gate_state {
  static inline const char* name = "worker_gate";
  std::map<std::string, uint64_t> sessions; // session key -> worker id
  uint64_t next_id = 1;
  uint64_t refused = 0;
};

coordinator_actor::behavior_type
worker_gate(coordinator_actor::stateful_pointer<worker_gate_state> self, supervisor_actor supervisor,
            std::string token, std::string version);

/// Whether two strings are equal, in a time that does not depend on where
/// they differ.
bool same_secret(const std::string& a, const std::string& b);

/// The token in a file: its first line, without surrounding blanks; an
/// error when it cannot be read or is shorter than 16 characters.
expected<std::string> read_worker_token(const std::string& path);

} // namespace regscan
