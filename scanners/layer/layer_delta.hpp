#pragma once
// The unit of the layer cache: what one walked layer did, independent of the
// image it was walked in, stored under the layer's diffID.
// image_analyzer::take_delta() gives it, replay_layer() adds it to another
// image's walk in place of the layer's bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scanners/types.hpp"

namespace regscan {

/// One cataloger's output for one file.
struct cataloger_output {
  size_t cataloger = 0; // index into the analyzer's catalogers
  std::vector<package> packages;
  std::vector<owned_file> owned;
  std::vector<std::string> notes;
  bool complete = true;
};

struct layer_delta {
  /// The paths the layer writes or whites out, sorted: each deletes what
  /// lower layers had at the path (remove_path_bit) and/or below it
  /// (remove_below_bit), as in overlay_fs.hpp.
  std::vector<std::pair<std::string, uint8_t>> removals;
  std::vector<std::pair<std::string, std::string>> symlinks; // path, target
  std::vector<std::pair<std::string, std::string>> files;    // kept bytes: path, content
  struct parsed {
    std::string path;
    os_info os; // the OS the parts were parsed with; finish() rebases them
    std::vector<cataloger_output> parts;
  };
  std::vector<parsed> records;
  std::vector<std::string> link_targets; // targets of wanted symlinks, sorted
  /// Its paths that were targets of lower layers' wanted symlinks: a
  /// replay needs the same, since those decide which bytes were kept.
  std::vector<std::string> lower_link_targets;
  /// Secrets in the layer's files, when the walk looked for them. Those of a
  /// path the layer itself wrote again are deleted; deletions by upper layers
  /// are marked when the delta is replayed, as for a walked layer.
  std::vector<secret_finding> secrets;
  /// Malware in the layer's files, the same way.
  std::vector<malware_finding> malware;
  uint64_t unsafe_entries = 0;
  std::string layer; // the name it was walked under, which its packages carry
};

/// What a layer's delta needs that the merged view does not keep, gathered
/// while the layer is walked: the paths it removes and the targets of its
/// wanted symlinks. Or why the layer must not be cached.
class delta_recorder {
 public:
  void add_removal(std::string_view path, uint8_t bits);
  void add_link_target(std::string target);
  /// Keeps the first reason and drops what was gathered.
  void refuse(std::string why);
  /// Why the layer must not be cached; empty when it may be.
  const std::string& refused() const { return refused_; }
  /// Moves what was gathered into `d`: one removal per path, its bits
  /// merged, and the link targets, each sorted.
  void move_to(layer_delta& d);

 private:
  std::vector<std::pair<std::string, uint8_t>> removals_;
  uint64_t bytes_ = 0;
  std::vector<std::string> link_targets_;
  std::string refused_;
};

} // namespace regscan
