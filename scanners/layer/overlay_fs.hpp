#pragma once
// The merged view of an image's layers, as far as the walk keeps it: the
// files whose bytes it keeps and every symlink, each with the layer that
// added it. An upper layer's entry or OCI whiteout deletes what lower layers
// had at its path and below it; symlinks resolve inside the image, as in a
// chroot.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace regscan {

/// What an entry deletes of the lower layers: what they had at its path,
/// and/or everything below it.
constexpr uint8_t remove_path_bit = 1;
constexpr uint8_t remove_below_bit = 2;

struct whiteout {
  std::string path;    // what it deletes
  uint8_t removes = 0; // 0 for aufs metadata (other ".wh..wh." names): nothing
};
/// For a whiteout entry (".wh.<name>" deletes <name>, ".wh..wh..opq" what
/// its directory had), what it deletes; nullopt for any other entry.
std::optional<whiteout> as_whiteout(std::string_view path);

/// Where the symlink at `link` points, without following other links; ".."
/// stops at the root.
std::string lexical_target(std::string_view link, std::string_view target);

/// Erases `path` from `map` (path -> a value with a `layer`) when a layer
/// below `below` put it there. True when it did.
template <class Map>
bool erase_lower(Map& map, std::string_view path, size_t below) {
  auto it = map.find(path);
  if (it == map.end() || it->second.layer >= below)
    return false;
  map.erase(it);
  return true;
}

/// Erases what layers below `below` put under `dir` ("" is the root).
template <class Map>
bool erase_lower_below(Map& map, std::string_view dir, size_t below) {
  auto prefix = dir.empty() ? std::string() : std::string(dir) + '/';
  bool erased = false;
  for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix);) {
    if (it->second.layer < below) {
      it = map.erase(it);
      erased = true;
    } else {
      ++it;
    }
  }
  return erased;
}

class overlay_fs {
 public:
  struct kept_file {
    std::shared_ptr<const std::string> content;
    size_t layer = 0;
  };
  struct kept_link {
    std::string target;
    size_t layer = 0;
  };

  void add_file(std::string path, std::shared_ptr<const std::string> content, size_t layer);
  void add_symlink(std::string path, std::string target, size_t layer);
  /// Drops `path` itself when a layer below `below` added it. True when a
  /// file or symlink went.
  bool remove_path(std::string_view path, size_t below);
  /// Drops what layers below `below` put under `dir` ("" is the root).
  bool remove_below(std::string_view dir, size_t below);
  /// Follows symlinks lexically (at most 40 hops, ".." stops at the root).
  /// Returns the file it lands on, or nullptr; `resolved` gets the path it
  /// lands on either way ("" after a loop).
  const kept_file* resolve(std::string_view path, std::string* resolved = nullptr) const;

  const std::map<std::string, kept_file, std::less<>>& files() const { return files_; }
  const std::map<std::string, kept_link, std::less<>>& symlinks() const { return symlinks_; }

 private:
  std::map<std::string, kept_file, std::less<>> files_;
  std::map<std::string, kept_link, std::less<>> symlinks_;
};

} // namespace regscan
