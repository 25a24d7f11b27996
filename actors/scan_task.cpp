#include "actors/scan_task.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "daemon/scan.hpp"

namespace regscan {

scan_task_actor::behavior_type scan_task(scan_task_actor::pointer self, daemon_context* ctx,
                                         task_record task,
                                         std::shared_ptr<std::atomic<bool>> cancelled,
                                         std::shared_ptr<scan_progress> progress,
                                         registry_actor registry, supervisor_actor parent) {
  return {
    [=](run_atom) {
      auto task_id = task.id;
      auto& image_key = task.image_key;
      spdlog::info("scan task {} started for {}", task_id, image_key);
      scan_hooks hooks;
      hooks.cancel = cancelled.get();
      hooks.categories = task.categories;
      hooks.shares_with = task.shares_with;
      hooks.layers_done = &progress->layers_done;
      hooks.layers_total = &progress->layers_total;
      hooks.acquire_pull = [&]() -> int64_t {
        int64_t until = -1;
        caf::scoped_actor asker{self->system()};
        asker->request(registry, std::chrono::seconds{10}, acquire_atom::value)
          .receive([&](int64_t v) { until = v; }, [&](caf::error&) {});
        return until;
      };
      auto ok = run_scan(*ctx, image_key, hooks);
      scan_outcome out;
      out.task = task_id;
      out.ok = static_cast<bool>(ok);
      if (!ok) {
        out.code = ok.err().code;
        out.error = ok.err().message;
        out.budget_until = hooks.budget_until;
      }
      self->send(parent, done_atom::value, out);
      self->quit();
    },
  };
}

} // namespace regscan
