#pragma once
// What regscand exports to Prometheus. Counters and gauges are kept up to
// date as things change (the image gauges through the store's image
// observer), so a scrape reads a few numbers per registry and ecosystem and
// never the image records: it costs the same with 100 or 100,000 images.
// No label names an image.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace regscan {

class store;
struct image_record;

/// A Prometheus histogram with fixed buckets (seconds).
class histogram {
 public:
  static constexpr std::array<double, 12> bounds{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600};
  void observe(double value);
  /// The _bucket, _sum and _count lines of `name`.
  void render(std::string& out, const char* name, const char* help) const;

 private:
  mutable std::mutex mu_;
  std::array<uint64_t, bounds.size()> buckets_{}; // non-cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

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
  std::atomic<uint64_t> layer_cache_hit_bytes{0}; // compressed bytes the hits did not pull
  std::atomic<uint64_t> control_requests{0};
  // The supervisor's queue, published after each of its changes.
  std::atomic<uint64_t> tasks_queued{0};
  std::atomic<uint64_t> tasks_waiting_budget{0};
  std::atomic<uint64_t> tasks_waiting_backoff{0};
  std::atomic<uint64_t> tasks_running{0};
  std::atomic<uint64_t> workers_joined{0}; // remote scan workers joined now
  histogram scan_seconds; // a scan task's run, from its start to its outcome
  histogram layer_pull_seconds; // one layer's fetch, streamed through the analyzer

  /// Counts the stored images once (start-up); image_changed keeps it.
  void count_images(store& db);
  /// The store's image observer: moves the image gauges by one record.
  void image_changed(const image_record* before, const image_record* after);
  /// A registry's sync ended.
  void sync_finished(const std::string& registry, bool ok, int64_t at);
  /// A scan of the registry waited for its pull budget.
  void budget_wait(const std::string& registry);
  /// The registry answered 429 (Too Many Requests); the client waits and retries.
  void registry_throttled(const std::string& registry);
  /// A scan took one of the registry's pulls (one per image).
  void image_pulled(const std::string& registry);
  /// A layer's fetch ended, whatever its outcome, after `bytes` in `seconds`.
  void layer_pulled(const std::string& registry, uint64_t bytes, double seconds);
  /// The registry's pull budget: pulls per hour (0: unlimited) and the times
  /// of the pulls in the last hour. The remaining budget is worked out at the
  /// scrape, as pulls leave the window.
  void budget_changed(const std::string& registry, int per_hour, std::vector<int64_t> pulls);
  /// The registry was deleted: its series leave the scrape.
  void registry_deleted(const std::string& registry);

  /// A remote scan worker joined: its series enter the scrape, labelled by its id.
  void worker_joined(uint64_t id, const std::string& host, const std::string& address,
                     const std::string& version, int slots, int64_t at);
  /// The tasks the coordinator runs on the worker now.
  void worker_running(uint64_t id, size_t running);
  void worker_heartbeat(uint64_t id, int64_t at);
  /// A task that ran on the worker ended: "succeeded", "failed" or "cancelled".
  void worker_task_ended(uint64_t id, const std::string& outcome);
  /// The worker left or was dropped: its series leave the scrape (a worker
  /// that comes back is a new worker, with a new id).
  void worker_left(uint64_t id);

  /// The Prometheus text exposition (format 0.0.4).
  std::string render(store& db) const;

 private:
  struct image_gauges {
    std::map<std::string, int64_t> by_status;
    int64_t unauthorized = 0;
    std::map<std::string, int64_t> by_severity; // findings of the latest scans
    std::map<std::string, int64_t> secrets_by_severity;
    std::map<std::string, int64_t> malware_by_severity;
    int64_t incomplete = 0;
  };
  struct registry_gauges {
    int64_t last_sync = 0;
    bool last_sync_ok = false;
    uint64_t budget_waits = 0;
    uint64_t throttled = 0;
    uint64_t images_pulled = 0;
    uint64_t bytes_pulled = 0;
    int per_hour = 0;
    std::vector<int64_t> pulls;
  };
  struct worker_gauges {
    std::string host, address, version;
    int slots = 0;
    size_t running = 0;
    int64_t last_heartbeat = 0;
    std::map<std::string, uint64_t> tasks; // by outcome
  };
  void add(const image_record& img, int sign);
  mutable std::mutex mu_;
  image_gauges images_;
  std::map<std::string, registry_gauges> registries_;
  std::map<uint64_t, worker_gauges> workers_;
};

} // namespace regscan
