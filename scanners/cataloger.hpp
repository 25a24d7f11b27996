#pragma once
// The cataloger plugin interface (osv-scalibr style): the layer walk asks each
// cataloger which files it wants, keeps only those, and hands each one over
// once the final filesystem is known.
#include <cstdint>
#include <string_view>
#include <vector>

#include "scanners/types.hpp"

namespace regscan {

class cataloger {
 public:
  virtual ~cataloger() = default;
  virtual std::string_view name() const = 0;
  /// `path` is normalized, without a leading '/'. Called for every entry of
  /// every layer: keep it cheap.
  virtual bool wants(std::string_view path) const = 0;
  /// For files found by what they are rather than by name (Go binaries,
  /// runtimes such as /usr/local/bin/node): asked for regular files with an
  /// executable bit. Keep it cheap too.
  virtual bool wants_executable(std::string_view path, uint32_t mode, uint64_t size) const {
    return false;
  }
  /// Part of the layer-cache key: bump it when the same bytes give other results.
  virtual int version() const { return 1; }
  /// The layer walk parses each file when its entry ends, with the OS known
  /// at that point. When the final OS turns out different (an upper layer
  /// changed it, or the package database came before os-release), it asks the
  /// cataloger to fix what depends on the OS, such as the ecosystem.
  virtual void rebase_os(const os_info& parsed_with, const os_info& final_os,
                         std::vector<package>& packages) const {}
  /// Adds what `content` declares to `out`. OS catalogers may also list the
  /// files their packages own in `out.owned_files`: language packages found
  /// in those files get package.owner. Never throws; a bad file becomes
  /// a note in `out.notes`.
  virtual void parse(std::string_view path, std::string_view content, std::string_view layer,
                     const os_info& os, inventory& out) const = 0;
};

} // namespace regscan
