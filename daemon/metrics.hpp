#pragma once
// Counters that regscand exports to Prometheus.
#include <atomic>
#include <cstdint>
#include <string>

namespace regscan {

class store;

struct metrics {
  std::atomic<uint64_t> scans_succeeded{0};
  std::atomic<uint64_t> scans_failed{0};
  std::atomic<uint64_t> scans_cancelled{0};
  std::atomic<uint64_t> scan_retries{0};
  std::atomic<uint64_t> syncs_succeeded{0};
  std::atomic<uint64_t> syncs_failed{0};
  std::atomic<uint64_t> layer_bytes_pulled{0};
  std::atomic<uint64_t> images_pulled{0};
  std::atomic<uint64_t> layer_cache_hits{0};   // layers replayed from the layer cache
  std::atomic<uint64_t> layer_cache_misses{0}; // layers pulled although the cache was asked
  std::atomic<uint64_t> control_requests{0};
  // The supervisor's queue, published after each of its changes.
  std::atomic<uint64_t> tasks_queued{0};
  std::atomic<uint64_t> tasks_waiting_budget{0};
  std::atomic<uint64_t> tasks_waiting_backoff{0};
  std::atomic<uint64_t> tasks_running{0};

  /// The Prometheus text exposition of the counters and of the stored state.
  std::string render(store& db) const;
};

} // namespace regscan
