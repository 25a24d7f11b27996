#pragma once
// A YAML document read as a stream of scalars, each with the mapping keys
// that lead to it. The lockfile catalogers (pnpm-lock.yaml, yarn berry's
// yarn.lock) keep one entry at a time, so memory stays bounded by the
// largest entry, not by the file.
//
// Why libyaml (libyaml-dev) and not yaml-cpp (libyaml-cpp-dev), measured with
// `make yaml_lock_bench` (tests/scanners/yaml_lock_bench.sh) on the
// pnpm-lock.yaml that pnpm 9.15 wrote for a project of 33 large real
// dependencies (1.5 MB, 4408 packages; 2 shared cores, peak RSS including
// the 2 x 1.5 MB input copies the bench holds):
//   libyaml event parser        26 ms    7.0 MB
//   yaml-cpp YAML::Load         295 ms   50 MB   (the whole tree in memory)
//   yaml-cpp Parser + events    123 ms   8.6 MB
// libyaml streams: memory is its buffers plus the one entry a reader keeps,
// whatever the file's size; it is also the fastest, and it reports bad input
// as an error with a line instead of throwing.

#include <string>
#include <string_view>
#include <vector>

namespace regscan {

class yaml_visitor {
 public:
  virtual ~yaml_visitor() = default;
  /// A scalar value; `path` holds the keys from the root mapping down to it.
  /// Items of a sequence have the key "-". An alias reads as the scalar "*name".
  virtual void scalar(const std::vector<std::string>& path, std::string_view value) = 0;
  /// A mapping or sequence starts or ends; `path` names it.
  virtual void begin(const std::vector<std::string>& path) {}
  virtual void end(const std::vector<std::string>& path) {}
};

/// Reads the first document of `content`. Returns an empty string on
/// success, else why it stopped ("line 12: did not find expected key");
/// what came before the error has been handed to `v`. Nesting deeper
/// than `max_depth` stops it with an error.
std::string read_yaml(std::string_view content, yaml_visitor& v, size_t max_depth = 64);

} // namespace regscan
