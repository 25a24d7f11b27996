#pragma once
// The streaming layer walk. The caller pushes each layer's compressed blob as
// it arrives from the registry (base layer first); the analyzer decompresses
// and untars it on the fly, applies OCI whiteouts, and keeps only the files a
// cataloger wants plus the symlink map. Nothing touches disk; memory stays
// flat however big the layers are. finish() runs the catalogers over the
// final filesystem.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scanners/cataloger.hpp"
#include "scanners/expected.hpp"
#include "scanners/tar_reader.hpp"
#include "scanners/types.hpp"

namespace regscan {

struct analysis_limits {
  uint64_t max_layer_bytes = 16ull << 30; // decompressed bytes per layer (bomb guard)
  uint64_t max_entries = 1'000'000;       // tar entries per layer
  uint64_t max_file_size = 256ull << 20;  // one wanted file kept in memory
};

class image_analyzer {
 public:
  /// Uses default_catalogers().
  explicit image_analyzer(analysis_limits limits = {});
  image_analyzer(std::vector<std::unique_ptr<cataloger>> catalogers, analysis_limits limits = {});
  ~image_analyzer();
  image_analyzer(const image_analyzer&) = delete;
  image_analyzer& operator=(const image_analyzer&) = delete;

  /// Starts the next layer (base first). Ends a layer still open.
  void begin_layer(std::string digest);
  /// Compressed blob bytes as they arrive. An error is sticky for the layer;
  /// the caller may stop pulling it. The error is also kept for finish().
  expected<void> feed(const uint8_t* data, size_t size);
  /// An error when the stream was truncated or corrupt.
  expected<void> end_layer();
  /// Resolves the OS, then runs each cataloger over the final filesystem.
  inventory finish();

 private:
  class layer_walk;
  friend class layer_walk;

  struct kept_file {
    std::shared_ptr<const std::string> content;
    size_t layer = 0; // index into layers_
  };
  struct kept_link {
    std::string target;
    size_t layer = 0;
  };

  bool wanted(std::string_view path) const;
  bool entry_begin(const tar_entry& entry);
  void entry_end(std::string path, std::string content);
  void remove_path(std::string_view path, bool any_layer);
  void remove_below(std::string_view dir);
  /// Follows symlinks lexically inside the image (at most 40 hops, ".."
  /// stops at the root). Returns the file it lands on, or nullptr.
  const kept_file* find_file(std::string_view path, std::string* resolved = nullptr) const;
  void note(std::string text, bool incomplete);

  analysis_limits limits_;
  std::vector<std::unique_ptr<cataloger>> catalogers_;
  std::vector<std::string> layers_;
  std::unique_ptr<layer_walk> walk_;
  std::map<std::string, kept_file, std::less<>> files_;
  std::map<std::string, kept_link, std::less<>> symlinks_;
  std::set<std::string, std::less<>> link_targets_; // wanted because a wanted symlink points there
  std::vector<std::string> notes_;
  bool complete_ = true;
  bool layer_error_noted_ = false; // the open layer's error is in notes_
};

} // namespace regscan
