#pragma once
// Syncing one registry: lists its repositories and tags, resolves each tag
// to its images and stores them; and the checks of `registry test`.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "connectors/registry_lister.hpp"
#include "scanners/expected.hpp"
#include "storage/records.hpp"

namespace regscan {

struct services;

enum class sync_state { never, running, done, failed };

constexpr const char* to_string(sync_state s) {
  switch (s) {
    case sync_state::never: return "never";
    case sync_state::running: return "running";
    case sync_state::done: return "done";
    case sync_state::failed: return "failed";
  }
  return "never";
}

/// The current or last sync of one registry.
struct sync_progress {
  sync_state state = sync_state::never;
  uint64_t repositories = 0;
  uint64_t repositories_done = 0;
  uint64_t tags = 0;
  uint64_t images = 0;
  uint64_t resolved = 0; // tags whose manifest was fetched (the rest were unchanged)
  uint64_t removed = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::string error;
  uint64_t images_ok = 0, images_skipped = 0, images_failed = 0, projects_skipped = 0;
  std::vector<std::string> notes;
};

/// One check of `registry test`: what it tried and, when it failed, why.
struct registry_check {
  std::string what;
  std::string error; // "" = passed
};

struct sync_summary {
  uint64_t repositories = 0;
  uint64_t tags = 0;
  uint64_t images = 0;
  uint64_t resolved = 0; // tags whose manifest was fetched (the rest were unchanged)
  uint64_t removed = 0;
  uint64_t images_ok = 0;       // image records resolved (or unchanged)
  uint64_t images_skipped = 0;  // non-image artifacts: listed, never scanned
  uint64_t images_failed = 0;   // tags (or repositories) that could not be resolved
  uint64_t projects_skipped = 0; // Harbor proxy-cache projects left out
  /// What the user should know: projects a robot may not see, skipped
  /// projects, failed tags with their errors (the first few).
  std::vector<std::string> notes;
};

/// Called with the progress so far.
using progress_fn = std::function<void(const sync_progress&)>;

/// How to list a stored registry, its secrets opened.
expected<lister_config> lister_config_for(const services& ctx, const registry_record& rec);

/// What a sync needs, tried with the stored credentials: the registry
/// endpoint (GET /v2/, the pull credentials) and, for Harbor, TCR and CCR,
/// one cheap call of the listing API (its own credentials).
std::vector<registry_check> check_registry(const services& ctx, const std::string& registry_name);

/// `cancel`, when set, stops the sync at its next network step (errc::cancelled).
/// A tag that cannot be resolved is counted and noted, its stored images
/// kept and marked with the error, and the sync goes on; a sync in which
/// every tag failed is an error.
expected<sync_summary> run_sync(services& ctx, const std::string& registry_name,
                                const progress_fn& progress,
                                const std::atomic<bool>* cancel = nullptr);

} // namespace regscan
