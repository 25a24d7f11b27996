#pragma once
// The nightly sync: every registry syncs once a night at a random minute of
// a configurable local-time window (default 00:00-03:00). The planning is a
// pure class with an injected clock value; the actor only ticks it.
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"
#include "scanners/expected.hpp"

namespace regscan {

class daemon_context;

struct sync_window {
  int start_minute = 0;   // minutes after local midnight
  int end_minute = 180;   // exclusive; may be smaller than start (crosses midnight)
  int length() const { return ((end_minute - start_minute) % 1440 + 1440) % 1440; }
};

/// "HH:MM-HH:MM", local time; the two ends must differ.
expected<sync_window> parse_sync_window(const std::string& text);

/// The first local time strictly after `now` that is `offset` minutes into
/// the window (DST-safe: computed with mktime on local calendar fields).
std::time_t next_window_run(std::time_t now, const sync_window& w, int offset);

/// Which registries are due, remembering each one's next run.
class nightly_plan {
 public:
  explicit nightly_plan(sync_window w, uint32_t seed = std::random_device{}()) : window_(w), rng_(seed) {}
  /// The registries to sync now; plans the next night for them. A registry
  /// seen for the first time is planned, not run.
  std::vector<std::string> due(std::time_t now, const std::vector<std::string>& registries);
  /// The planned run of a registry, 0 if unknown.
  std::time_t next_run(const std::string& name) const;

 private:
  std::time_t plan(std::time_t now);
  sync_window window_;
  std::mt19937 rng_;
  std::map<std::string, std::time_t> next_;
};

using clock_fn = std::function<std::time_t()>;

/// Ticks once a minute (and on run_atom), starting due syncs through each
/// registry's actor.
scheduler_actor::behavior_type scheduler(scheduler_actor::pointer self, daemon_context* ctx,
                                         sync_window w, clock_fn now);

} // namespace regscan
