#pragma once
// A scan task: pulls one image's layers once, streams them through the
// analyzer, matches the inventory and stores the result.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"
#include "scanners/expected.hpp"
#include "scanners/types.hpp"

namespace regscan {

class daemon_context;
class store;
class advisory_cache;

/// Matches an inventory against the vulnerability database; the findings of
/// one package that name the same vulnerability are merged (aliases).
expected<std::vector<finding>> match_inventory(store& db, const inventory& inv);
/// The same through a cache that outlives one inventory (re-match).
expected<std::vector<finding>> match_inventory(advisory_cache& advisories, const inventory& inv);

/// Scans one image and stores its result; stops early once `cancelled` is set.
expected<void> run_scan(daemon_context& ctx, const std::string& image_key,
                        const std::atomic<bool>& cancelled);

void scan_task(caf::blocking_actor* self, daemon_context* ctx, uint64_t task_id,
               std::string image_key, std::shared_ptr<std::atomic<bool>> cancelled,
               supervisor_actor parent);

} // namespace regscan
