#include "actors/rate_limiter.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace regscan {

int64_t pull_window::try_acquire(clock::time_point now) {
  if (per_hour_ <= 0)
    return 0;
  const auto hour = std::chrono::hours{1};
  while (!pulls_.empty() && now - pulls_.front() >= hour)
    pulls_.pop_front();
  if (pulls_.size() < static_cast<size_t>(per_hour_)) {
    pulls_.push_back(now);
    return 0;
  }
  auto wait = std::chrono::ceil<std::chrono::seconds>(pulls_.front() + hour - now).count();
  return wait < 1 ? 1 : wait;
}

bool valid_rate_limit(int per_hour) {
  for (int allowed : {0, 5, 10, 20, 50, 100, 500, 1000})
    if (per_hour == allowed)
      return true;
  return false;
}

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self, int per_hour) {
  self->state.window = pull_window{per_hour};
  return {
    [self](acquire_atom) -> int64_t {
      return self->state.window.try_acquire(pull_window::clock::now());
    },
  };
}

} // namespace regscan
