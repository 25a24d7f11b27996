#pragma once
// Scanning one image: pulls its layers once, streams them through the
// analyzer, matches the inventory and stores the result.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/oci_client.hpp"
#include "scanners/expected.hpp"
#include "scanners/types.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;
class store;
class advisory_cache;
class metrics;
class secret_scanner;
class malware_scanner;

/// Matches an inventory against the vulnerability database; the findings of
/// one package that name the same vulnerability are merged (aliases).
expected<std::vector<finding>> match_inventory(store& db, const inventory& inv);
/// The same through a cache that outlives one inventory (re-match).
expected<std::vector<finding>> match_inventory(advisory_cache& advisories, const inventory& inv);

/// What a scan needs from outside the image: its cancel flag and the
/// registry's pull budget.
struct scan_hooks {
  /// Set by another thread: the scan stops within a second (errc::cancelled).
  const std::atomic<bool>* cancel = nullptr;
  /// Asked once, before the first layer blob is fetched: 0 = granted, > 0 =
  /// the budget is spent until that unix time, < 0 = no answer. Unset = unlimited.
  std::function<int64_t()> acquire_pull;
  /// Out: when the budget was spent, until when (the scan ends with errc::limit).
  int64_t budget_until = 0;
  /// What to look for (scan_request.hpp's names); empty = everything available.
  std::vector<std::string> categories;
  /// Images with the same image ID: the result is recorded for each too.
  std::vector<std::string> shares_with;
  /// Out, read by other threads: layers analyzed (or replayed) of all.
  std::atomic<int>* layers_done = nullptr;
  std::atomic<int>* layers_total = nullptr;
};

/// Scans one image and stores its result. A manifest or config request, or
/// a layer replayed from the layer cache, uses no pull permit. It is the
/// three steps below, in one process.
expected<void> run_scan(services& ctx, const std::string& image_key, scan_hooks& hooks);

// ---- the steps of a scan, so that a remote worker can do the middle one ----

/// What the coordinator knows of an image before its layers: its records,
/// its manifest (fetched again by digest, and verified) and a client.
struct prepared_scan {
  std::string image_key;
  image_record img;
  registry_record registry;
  oci_image oci;
  std::optional<oci_client> client;
};

/// Step 1 (the coordinator): the image's records and manifest. An artifact
/// is refused here, before any pull.
expected<prepared_scan> prepare_scan(services& ctx, const std::string& image_key,
                                     const std::atomic<bool>* cancel);

/// The scanners a layer walk uses; null: not looked for.
struct layer_scanners {
  std::shared_ptr<const secret_scanner> secrets;
  std::shared_ptr<const malware_scanner> malware;
};

/// The daemon's scanners for a scan looking for `categories`.
layer_scanners scanners_for(const services& ctx, const std::vector<std::string>& categories);
/// The analyzer's layer cache version with these scanners.
std::string layer_cache_version(const layer_scanners& scanners);

/// Where a layer walk finds the layers analyzed before and keeps the ones
/// it analyzes: the store's layer cache on the daemon, what the coordinator
/// handed over on a worker.
class layer_cache_access {
 public:
  virtual ~layer_cache_access() = default;
  /// The encoded delta (storage/layer_codec) of a diffID, if there is one.
  virtual std::optional<std::string> find(const std::string& diff_id,
                                          const std::string& version) = 0;
  /// An encoded delta this walk made, checked against its diffID.
  virtual void keep(const std::string& diff_id, const std::string& version,
                    std::string encoded) = 0;
};

/// The store's layer cache.
class stored_layer_cache : public layer_cache_access {
 public:
  explicit stored_layer_cache(store& db) : db_(db) {}
  std::optional<std::string> find(const std::string& diff_id, const std::string& version) override;
  void keep(const std::string& diff_id, const std::string& version, std::string encoded) override;

 private:
  store& db_;
};

/// Step 2 (the coordinator or a worker): pulls and walks the layers that
/// `cache` does not have, replays those it has, and returns the inventory
/// (without the config's secrets). Uses hooks' cancel flag, pull permit,
/// progress and categories.
expected<inventory> pull_and_analyze(oci_client& client, const oci_image& oci,
                                     const std::string& image_key, const std::string& registry,
                                     const layer_scanners& scanners, layer_cache_access& cache,
                                     metrics& stats, scan_hooks& hooks);

/// Step 3 (the coordinator): the config's secrets, matching, the categories
/// not looked for, and the result stored for the image and those sharing it.
expected<void> store_scan(services& ctx, const prepared_scan& prep, inventory inv,
                          const layer_scanners& scanners, scan_hooks& hooks);

} // namespace regscan
