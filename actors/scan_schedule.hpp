#pragma once
// The scheduled scan's actor: reads the stored schedule on every tick (once
// a minute, and at start, so a run missed while the daemon was down runs
// once at start), and when it is due stores the next run, then queues the
// scan with the supervisor. The clock is injected: tests make it fire.
#include <ctime>
#include <functional>
#include <optional>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

scan_schedule_actor::behavior_type scan_schedule(scan_schedule_actor::pointer self,
                                                 daemon_context* ctx, supervisor_actor supervisor,
                                                 std::function<std::time_t()> now);

/// One tick, outside any actor: stores the schedule's next run and returns
/// the order to queue when it is due (nothing otherwise).
std::optional<scan_order> scheduled_scan_due(daemon_context& ctx, std::time_t now);

} // namespace regscan
