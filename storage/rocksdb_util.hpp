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
  return make_error(std::string{what} + ": " + s.ToString());
}

inline rocksdb::WriteOptions write_options() {
  rocksdb::WriteOptions wo;
  // The WAL stays on, so a write is in the OS page cache before it returns:
  // kill -9 loses nothing; only a power cut may lose the last writes.
  wo.sync = false;
  wo.disableWAL = false;
  return wo;
}

inline rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

inline std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

inline bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
  return view(s).starts_with(prefix);
}

} // namespace regscan::detail
