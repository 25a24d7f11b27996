#pragma once
// Re-match: when the vulnerability database changes, every stored inventory
// whose packages have changed advisories is matched again, without pulling
// any image. Blocking RocksDB work: actors/ runs it on a thread of its own.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

} // namespace regscan
