#pragma once
// Re-match: when the vulnerability database changes, every stored inventory
// whose packages have changed advisories is matched again, without pulling
// any image. Runs on a detached actor, never on the CAF scheduler.
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "scanners/expected.hpp"

namespace regscan {

class store;

/// (ecosystem, package name) pairs, as import_report.changed_packages has them.
using package_keys = std::set<std::pair<std::string, std::string>>;

struct rematch_report {
  uint64_t inventories = 0;  // images looked at: with a package in the change (all, without one)
  uint64_t matched = 0;      // of them, matched again (not deleted meanwhile)
  uint64_t updated = 0;      // whose findings changed: findings and image rewritten
  uint64_t new_findings = 0; // findings first seen in this run
  uint64_t advisory_keys = 0; // (ecosystem, name) pairs read from the database
  double seconds = 0;
  std::vector<std::string> errors; // "<image>: <reason>"; the other images go on
};

/// Matches the packages in `changed` of every stored inventory again (found
/// through the package index), or every package of every inventory when
/// `changed` is null, and rewrites the findings and the image's counts, in
/// one batch per image, where they changed. New findings get first_seen =
/// now. An image scanned again meanwhile is left alone.
expected<rematch_report> rematch_inventories(store& db, const package_keys* changed, int64_t now);

/// What the store's re-match backlog owes (packages changed by imports, also
/// one cut short by a crash, and images matched against an older database),
/// with the packages in `also`; then removes from the backlog what it read.
/// What was added to it meanwhile stays for the next run.
expected<rematch_report> rematch_pending(store& db, const package_keys& also, int64_t now);

/// One re-match at a time: a request while one runs is folded into the next
/// run. Shared by the control API and its detached worker.
class rematch_queue : public std::enable_shared_from_this<rematch_queue> {
 public:
  struct status {
    bool running = false;
    uint64_t requested = 0; // generation of the latest request
    uint64_t completed = 0; // every request up to this generation is done
    int64_t finished_at = 0;
    rematch_report last;
    std::string last_error;
  };

  explicit rematch_queue(store& db) : db_(db) {}

  /// Queues the packages and starts a detached worker unless one runs. The
  /// worker also does what the store's re-match backlog owes.
  /// Returns the generation to wait for (status().completed >= it).
  uint64_t request(caf::actor_system& sys, package_keys changed);
  status get() const;

 private:
  void run();

  store& db_;
  mutable std::mutex mu_;
  package_keys pending_;
  bool running_ = false;
  status status_;
};

} // namespace regscan
