#pragma once
// The per-registry budget of image pulls per hour.
#include <chrono>
#include <cstdint>
#include <deque>

#include "actors/actors.hpp"

namespace regscan {

/// A sliding one-hour window of pulls. Pure logic, so tests drive the clock.
class pull_window {
 public:
  using clock = std::chrono::steady_clock;

  /// `per_hour` == 0 means unlimited.
  explicit pull_window(int per_hour) : per_hour_(per_hour) {}

  /// Counts a pull and returns 0, or returns the seconds until one is allowed.
  int64_t try_acquire(clock::time_point now);

 private:
  int per_hour_;
  std::deque<clock::time_point> pulls_;
};

/// The pull rates a user may choose (images per hour); 0 is unlimited.
bool valid_rate_limit(int per_hour);

struct rate_limiter_state {
  static inline const char* name = "rate-limiter";
  pull_window window{0};
};

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self, int per_hour);

} // namespace regscan
