#pragma once
// The per-registry budget of image pulls per hour, kept in RocksDB.
#include <cstdint>
#include <string>
#include <vector>

#include "actors/actors.hpp"

namespace regscan {

class daemon_context;

/// A sliding one-hour window of pulls over unix seconds. Pure logic, so
/// tests drive the clock; the actor stores `pulls()` after each change.
class pull_window {
 public:
  /// `per_hour` == 0 means unlimited.
  explicit pull_window(int per_hour, std::vector<int64_t> pulls = {})
    : per_hour_(per_hour), pulls_(std::move(pulls)) {}

  /// Counts a pull and returns 0, or returns the unix time at which one is allowed.
  int64_t try_acquire(int64_t now);
  void set_limit(int per_hour) { per_hour_ = per_hour; }
  int limit() const { return per_hour_; }
  const std::vector<int64_t>& pulls() const { return pulls_; }

 private:
  int per_hour_;
  std::vector<int64_t> pulls_; // oldest first
};

struct rate_limiter_state {
  static inline const char* name = "rate-limiter";
  std::string registry;
  pull_window window{0};
};

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self, daemon_context* ctx,
             std::string registry, int per_hour);

} // namespace regscan
