#pragma once
// Small helpers the store's source files share. Internal to storage/.
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include "scanners/expected.hpp"

namespace regscan::detail {

inline error db_error(std::string_view what, const rocksdb::Status& s) {
  // RocksDB says "IO error: No space left on device: While appending to
  // file: ..."; an operator needs the first words to say it plainly.
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos)
    return make_error(errc::unavailable, std::string{what} + ": the disk is full; writes resume once space is freed ("
                                     + s.ToString() + ")");
  return make_error(std::string{what} + ": " + s.ToString());
}

/// How much a write must survive. The WAL is always on, so a write is in the
/// OS page cache before it returns and kill -9 loses nothing. A power cut may
/// lose the writes since the WAL was last synced; RocksDB then recovers to a
/// consistent earlier point (kPointInTimeRecovery), never a torn state.
enum class durability {
  /// A crash, not a power cut: what a sync, a scan or an import rebuilds.
  /// Syncing these would cost an fsync per image of a 10,000-tag sync.
  crash,
  /// A power cut too: a user's own decisions, which nothing rebuilds. They
  /// are rare, so the fsync costs nothing that matters.
  power_cut,
};

inline rocksdb::WriteOptions write_options(durability d) {
  rocksdb::WriteOptions wo;
  wo.sync = d == durability::power_cut;
  wo.disableWAL = false;
  return wo;
}

inline rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

inline std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

inline bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
  return view(s).starts_with(prefix);
}

} // namespace regscan::detail
