#include "actors/registry.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/sync_job.hpp"

namespace regscan {

void start_registry(caf::actor_system& sys, daemon_context& ctx, const registry_record& rec) {
  ctx.add_registry_actor(rec.name, sys.spawn(registry, &ctx, rec.name, rec.rate_limit));
}

registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self, daemon_context* ctx,
         std::string name, int rate_limit) {
  self->state.registry_name = name;
  self->state.limiter = self->spawn<caf::linked>(rate_limiter, ctx, name, rate_limit);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source != self->state.job)
      return;
    self->state.job = caf::actor_addr{};
    if (self->state.stopping)
      self->quit(caf::exit_reason::user_shutdown);
  });
  return {
    [self, ctx](sync_atom) -> bool {
      auto& st = self->state;
      if (st.job || st.stopping)
        return false;
      st.job_cancel = std::make_shared<std::atomic<bool>>(false);
      auto me = caf::actor_cast<registry_actor>(self);
      // Blocking HTTP: the job gets a thread of its own.
      auto job = self->spawn<caf::monitored + caf::detached>(sync_job, ctx, st.registry_name, me,
                                                             st.job_cancel);
      self->send(job, run_atom::value);
      st.job = job.address();
      st.progress = sync_progress{};
      st.progress.state = sync_state::running;
      st.progress.started_at = std::time(nullptr);
      return true;
    },
    [self](status_atom) -> sync_progress { return self->state.progress; },
    [self, ctx](test_atom) -> caf::result<std::vector<registry_check>> {
      // The checks are blocking HTTP exchanges: they run on their own thread.
      auto rp = self->make_response_promise<std::vector<registry_check>>();
      auto name = self->state.registry_name;
      self->spawn<caf::detached>([rp, ctx, name]() mutable {
        auto checks = check_registry(*ctx, name);
        for (auto& c : checks)
          if (!c.error.empty())
            spdlog::warn("registry {} test failed: {} ({})", name, c.error, c.what);
        rp.deliver(std::move(checks));
      });
      return rp;
    },
    [self](acquire_atom) -> caf::result<int64_t> {
      return self->delegate(self->state.limiter, acquire_atom::value);
    },
    [self](configure_atom, int32_t limit) {
      self->send(self->state.limiter, configure_atom::value, limit);
    },
    [self](stop_atom) {
      auto& st = self->state;
      st.stopping = true;
      if (!st.job) {
        self->quit(caf::exit_reason::user_shutdown);
        return;
      }
      *st.job_cancel = true; // the sync stops at its next network step
    },
    [self](progress_atom, sync_progress& p) {
      if (!self->state.stopping)
        self->state.progress = std::move(p);
    },
  };
}

} // namespace regscan
