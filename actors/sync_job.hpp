#pragma once
// A sync job: lists a registry's repositories and tags, resolves each tag to
// its images and stores them. Blocking HTTP, so it is spawned detached.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"
#include "connectors/registry_lister.hpp"
#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

class daemon_context;

struct sync_summary {
  uint64_t repositories = 0;
  uint64_t tags = 0;
  uint64_t images = 0;
  uint64_t resolved = 0; // tags whose manifest was fetched (the rest were unchanged)
  uint64_t removed = 0;
};

/// Called with the progress so far.
using progress_fn = std::function<void(const sync_progress&)>;

/// How to list a stored registry, its secrets opened.
expected<lister_config> lister_config_for(const daemon_context& ctx, const registry_record& rec);

/// What a sync needs, tried with the stored credentials: the registry
/// endpoint (GET /v2/, the pull credentials) and, for Harbor, TCR and CCR,
/// one cheap call of the listing API (its own credentials).
std::vector<registry_check> check_registry(const daemon_context& ctx, const std::string& registry_name);

/// `cancel`, when set, stops the sync at its next network step (errc::cancelled).
expected<sync_summary> run_sync(daemon_context& ctx, const std::string& registry_name,
                                const progress_fn& progress,
                                const std::atomic<bool>* cancel = nullptr);

/// Runs one sync on `run_atom`, reports to `parent`, and quits. It stops
/// early, as failed, once `cancelled` is set (the registry is being deleted).
sync_job_actor::behavior_type sync_job(sync_job_actor::pointer self, daemon_context* ctx,
                                       std::string registry_name, registry_actor parent,
                                       std::shared_ptr<std::atomic<bool>> cancelled);

} // namespace regscan
