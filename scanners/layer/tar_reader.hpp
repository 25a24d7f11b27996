#pragma once
// A push tar parser: fed arbitrary chunks of a decompressed layer, it calls a
// visitor per entry and hands over only the content the visitor wants.
// Understands ustar, GNU (long names 'L', long links 'K', base-256 sizes) and
// POSIX pax ('x': path, linkpath, size; 'g' ignored).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "scanners/expected.hpp"

namespace regscan {

enum class tar_entry_type { file, dir, symlink, hardlink, other };

struct tar_entry {
  std::string path;        // normalized: no leading "/" or "./", no "." or ".."
  tar_entry_type type = tar_entry_type::other;
  std::string link_target; // symlink: as stored; hardlink: normalized archive path
  uint64_t size = 0;       // content bytes that follow (0 for links and dirs)
  uint32_t mode = 0;
};

class tar_visitor {
 public:
  virtual ~tar_visitor() = default;
  /// Returns true to receive the entry's content through entry_data.
  virtual bool entry_begin(const tar_entry& entry) = 0;
  virtual expected<void> entry_data(const uint8_t* data, size_t size) = 0;
  /// Called after the last entry_data of a wanted entry.
  virtual expected<void> entry_end() = 0;
};

struct tar_limits {
  uint64_t max_entries = 1'000'000;
  size_t max_path_length = 4096;
  size_t max_meta_size = 1 << 20; // one pax header or GNU long name/link
};

/// Normalizes an archive path lexically. Returns false when ".." climbs
/// above the root. The result has no leading or trailing '/'; "" is the root.
bool normalize_tar_path(std::string_view raw, std::string& out);

class tar_reader {
 public:
  explicit tar_reader(tar_visitor& visitor, tar_limits limits = {});

  /// Parses the next chunk. Errors (bad checksum, limits, visitor errors) are sticky.
  expected<void> feed(const uint8_t* data, size_t size);
  /// End of input: an error when it stopped inside a header or an entry.
  /// A stream ending on a header boundary without the zero blocks is accepted.
  expected<void> finish();

  uint64_t entries() const { return entries_; }
  /// Entries skipped because their path or hardlink target left the root.
  uint64_t unsafe_entries() const { return unsafe_entries_; }
  bool at_end() const { return state_ == state::done; }

 private:
  enum class state { header, sparse_ext, meta, content, padding, done };
  enum class meta_kind { long_name, long_link, pax };

  expected<void> on_header();
  expected<void> on_meta_complete();
  expected<void> start_content();
  expected<void> end_content();
  expected<void> parse_pax();
  expected<void> fail(std::string message);

  tar_visitor& visitor_;
  tar_limits limits_;
  state state_ = state::header;
  uint8_t block_[512] = {};
  size_t block_len_ = 0;
  int zero_blocks_ = 0;

  meta_kind meta_kind_ = meta_kind::pax;
  std::string meta_; // pax or long name being collected

  // Overrides for the next real header.
  std::string long_name_, long_link_, pax_path_, pax_link_;
  bool has_long_name_ = false, has_long_link_ = false;
  bool has_pax_path_ = false, has_pax_link_ = false, has_pax_size_ = false;
  bool pax_sparse_ = false;
  uint64_t pax_size_ = 0;

  uint64_t remaining_ = 0; // content bytes left in the current entry
  uint64_t content_size_ = 0;
  uint64_t padding_ = 0;   // padding bytes left after it
  bool deliver_ = false;
  bool ignore_meta_ = false; // 'g' headers: skip their content

  uint64_t entries_ = 0;
  uint64_t unsafe_entries_ = 0;
  bool failed_ = false;
  error error_;
};

} // namespace regscan
