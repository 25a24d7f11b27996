#include "actors/sync_job.hpp"

#include <ctime>

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"

namespace regscan {

sync_job_actor::behavior_type sync_job(sync_job_actor::pointer self, daemon_context* ctx,
                                       std::string registry_name, registry_actor parent,
                                       std::shared_ptr<std::atomic<bool>> cancelled) {
  return {
    [self, ctx, registry_name, parent, cancelled](run_atom) {
      spdlog::info("sync of registry {} started", registry_name);
      const int64_t started = std::time(nullptr);
      auto report = [&](const sync_progress& p) { self->send(parent, progress_atom::value, p); };
      auto sum = run_sync(*ctx, registry_name, report, cancelled.get());
      if (!sum) {
        ctx->stats.syncs_failed++;
        ctx->stats.sync_finished(registry_name, false, std::time(nullptr));
        spdlog::error("sync of registry {} failed: {}", registry_name, sum.err().message);
        sync_progress failed;
        failed.state = sync_state::failed;
        failed.started_at = started;
        failed.finished_at = std::time(nullptr);
        failed.error = sum.err().message;
        report(failed);
      } else {
        ctx->stats.syncs_succeeded++;
        ctx->stats.sync_finished(registry_name, true, std::time(nullptr));
        spdlog::info("sync of registry {} done: {} repositories, {} tags, {} images ({} resolved, "
                     "{} removed)", registry_name, sum->repositories, sum->tags, sum->images,
                     sum->resolved, sum->removed);
      }
      self->quit();
    },
  };
}

} // namespace regscan
