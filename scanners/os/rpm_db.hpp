#pragma once
// The three rpmdb backends, read from memory: each hands every stored
// package header blob to `visit`. Untrusted input: every offset, page number
// and length is checked, and every loop is bounded by the input size.
#include <functional>
#include <string_view>

#include "scanners/expected.hpp"

namespace regscan {

using rpm_blob_visitor = std::function<void(std::string_view blob)>;

/// var/lib/rpm/rpmdb.sqlite (rpm >= 4.16: RHEL 9, Fedora 33+). Reads the
/// main file only; pages still in a -wal file are not seen.
expected<void> read_rpmdb_sqlite(std::string_view file, const rpm_blob_visitor& visit);

/// var/lib/rpm/Packages: a Berkeley DB hash database (RHEL 7/8, CentOS,
/// Amazon Linux 2), read page by page without libdb.
expected<void> read_rpmdb_bdb(std::string_view file, const rpm_blob_visitor& visit);

/// var/lib/rpm/Packages.db: rpm's own "ndb" format (SUSE).
expected<void> read_rpmdb_ndb(std::string_view file, const rpm_blob_visitor& visit);

} // namespace regscan
