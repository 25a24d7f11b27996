#pragma once
// The vulnerability database's actors: the importer/updater and the
// re-matcher (their interfaces are in actors/actors.hpp).
#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

struct vulndb_actors {
  vulndb_actor updater;
  rematch_actor rematch;
};

/// Spawns both. The re-matcher resumes what the store's backlog owes (an
/// import or a re-match cut short by a crash), and runs again whenever a
/// result is stored that an import has made stale.
vulndb_actors start_vulndb(caf::actor_system& sys, daemon_context& ctx);

/// Detaches the store's callback and stops both (a running import or
/// re-match finishes on its own thread).
void stop_vulndb(daemon_context& ctx, const vulndb_actors& actors);

} // namespace regscan
