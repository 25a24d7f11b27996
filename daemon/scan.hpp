#pragma once
// Scanning one image: pulls its layers once, streams them through the
// analyzer, matches the inventory and stores the result.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scanners/expected.hpp"
#include "scanners/types.hpp"

namespace regscan {

struct services;
class store;
class advisory_cache;

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
/// a layer replayed from the layer cache, uses no pull permit.
expected<void> run_scan(services& ctx, const std::string& image_key, scan_hooks& hooks);

} // namespace regscan
