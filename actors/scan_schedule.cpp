#include "actors/scan_schedule.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "daemon/scan_request.hpp"
#include "daemon/schedule.hpp"

namespace regscan {

std::optional<scan_order> scheduled_scan_due(daemon_context& ctx, std::time_t now) {
  auto s = ctx.db->get_schedule();
  if (!s) {
    spdlog::error("scheduled scan: {}", s.err().message);
    return std::nullopt;
  }
  auto planned = s->next_run;
  if (!take_due_run(*s, now))
    return std::nullopt;
  // Stored first: a crash while queueing does not run it twice.
  if (auto ok = ctx.db->put_schedule(*s); !ok) {
    spdlog::error("scheduled scan: {}", ok.err().message);
    return std::nullopt;
  }
  auto sel = select_for_scan(ctx, schedule_scan_ask(*s));
  if (!sel) {
    spdlog::error("scheduled scan: {}", sel.err().message);
    return std::nullopt;
  }
  spdlog::info("scheduled scan (planned for {}{}): {} scan(s) of scope {}, {} unauthorized image(s) "
               "left out; next run at {}",
               planned, planned + 60 < now ? ", missed while the daemon was down" : "",
               sel->groups.size(), s->scope, sel->refused.size(), s->next_run);
  return scan_order{std::move(sel->groups), std::move(sel->categories)};
}

scan_schedule_actor::behavior_type scan_schedule(scan_schedule_actor::pointer self,
                                                 daemon_context* ctx, supervisor_actor supervisor,
                                                 std::function<std::time_t()> now) {
  self->send(self, run_atom::value);
  return {
    [self, ctx, supervisor, now](run_atom) {
      if (auto order = scheduled_scan_due(*ctx, now()); order && !order->groups.empty())
        self->request(supervisor, std::chrono::seconds{30}, scan_atom::value, std::move(*order))
          .then([](const std::vector<uint64_t>& ids) {
                  spdlog::info("scheduled scan: {} task(s) queued", ids.size());
                },
                [](caf::error& err) { spdlog::error("scheduled scan: {}", to_string(err)); });
      self->delayed_send(self, std::chrono::minutes(1), run_atom::value);
    },
    [](ping_atom) { return true; },
  };
}

} // namespace regscan
