#include "actors/rate_limiter.hpp"

#include <ctime>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include "actors/daemon_context.hpp"

namespace regscan {

int64_t pull_window::try_acquire(int64_t now) {
  constexpr int64_t hour = 3600;
  size_t expired = 0;
  while (expired < pulls_.size() && now - pulls_[expired] >= hour)
    ++expired;
  pulls_.erase(pulls_.begin(), pulls_.begin() + static_cast<std::ptrdiff_t>(expired));
  if (per_hour_ <= 0 || pulls_.size() < static_cast<size_t>(per_hour_)) {
    pulls_.push_back(now);
    return 0;
  }
  // The oldest pull that must leave the window before one more fits.
  auto until = pulls_[pulls_.size() - static_cast<size_t>(per_hour_)] + hour;
  return until > now ? until : now + 1;
}

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self, daemon_context* ctx,
             std::string registry, int per_hour) {
  std::vector<int64_t> pulls;
  if (auto stored = ctx->db->get_pulls(registry))
    pulls = std::move(*stored);
  else
    spdlog::error("registry {}: {}; its pull budget starts empty", registry, stored.err().message);
  self->state.registry = std::move(registry);
  self->state.window = pull_window{per_hour, std::move(pulls)};
  auto publish = [self, ctx] {
    auto& st = self->state;
    ctx->stats.budget_changed(st.registry, st.window.limit(), st.window.pulls());
  };
  publish();
  return {
    [self, ctx, publish](acquire_atom) -> int64_t {
      auto& st = self->state;
      auto until = st.window.try_acquire(std::time(nullptr));
      if (until == 0) {
        // Stored before the pull is allowed: a crash never gives one back.
        if (auto ok = ctx->db->put_pulls(st.registry, st.window.pulls()); !ok)
          spdlog::error("registry {}: {}", st.registry, ok.err().message);
        publish();
      }
      return until;
    },
    [self, publish](configure_atom, int32_t limit) {
      self->state.window.set_limit(limit);
      publish();
    },
  };
}

} // namespace regscan
