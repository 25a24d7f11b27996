#include "actors/registry.hpp"

#include <caf/all.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/sync_job.hpp"
#include "scanners/json_writer.hpp"

namespace regscan {

registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self, daemon_context* ctx,
         std::string name, int rate_limit) {
  self->state.registry_name = name;
  self->state.limiter = self->spawn<caf::linked>(rate_limiter, rate_limit);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source == self->state.job)
      self->state.job = caf::actor_addr{};
  });
  return {
    [self, ctx](sync_atom) -> std::string {
      if (self->state.job)
        return "running";
      auto me = caf::actor_cast<registry_actor>(self);
      auto job = self->spawn<caf::monitored>(sync_job, ctx, self->state.registry_name, me);
      self->state.job = job.address();
      self->state.progress = R"({"state":"running"})";
      return "started";
    },
    [self](status_atom) -> std::string { return self->state.progress; },
    [self, ctx](test_atom) -> caf::result<std::string> {
      // The checks are blocking HTTP exchanges: they run on their own thread.
      // The answer is JSON: {"ok":..,"checks":[{"check","ok","error"}]}.
      auto rp = self->make_response_promise<std::string>();
      auto name = self->state.registry_name;
      self->spawn([rp, ctx, name](caf::blocking_actor*) mutable {
        json_writer w;
        bool all_ok = true;
        w.begin_object().key("checks").begin_array();
        for (auto& c : check_registry(*ctx, name)) {
          all_ok = all_ok && c.error.empty();
          w.begin_object().field("check", c.what).field("ok", c.error.empty());
          if (!c.error.empty()) {
            w.field("error", c.error);
            spdlog::warn("registry {} test failed: {} ({})", name, c.error, c.what);
          }
          w.end_object();
        }
        w.end_array().field("ok", all_ok).end_object();
        rp.deliver(w.take());
      });
      return rp;
    },
    [self](acquire_atom) -> caf::result<int64_t> {
      return self->delegate(self->state.limiter, acquire_atom::value);
    },
    [self](progress_atom, std::string& json) { self->state.progress = std::move(json); },
  };
}

} // namespace regscan
