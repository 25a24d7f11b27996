#pragma once
// A push decompressor for layer blobs: bytes arrive from the network in any
// chunking, decompressed bytes leave through a sink. The format is sniffed from
// the first bytes (gzip, zstd, else plain tar); memory stays flat whatever the
// layer size.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "scanners/expected.hpp"

struct inflate_state;
struct ZSTD_DCtx_s;

namespace regscan {

enum class compression { unknown, none, gzip, zstd };

class decompressor {
 public:
  using sink = std::function<expected<void>(const uint8_t*, size_t)>;

  /// `max_output`: the most decompressed bytes accepted (bomb guard).
  explicit decompressor(uint64_t max_output);
  ~decompressor();
  decompressor(const decompressor&) = delete;
  decompressor& operator=(const decompressor&) = delete;

  /// Decompresses `data` and passes the output to `out`. An error (corrupt
  /// data, limit, or an error from `out`) is sticky.
  expected<void> feed(const uint8_t* data, size_t size, const sink& out);

  /// Ends the stream: an error when it stopped inside a gzip member or a zstd
  /// frame. Flushes what the sniffer still holds.
  expected<void> finish(const sink& out);

  compression format() const { return format_; }
  uint64_t total_out() const { return total_out_; }

  /// The largest zstd window accepted, as a power of two: 2^27 = 128 MiB,
  /// which `zstd --long` and `--ultra -22` stay within. The decoder holds a
  /// whole window in memory, so a frame asking for more is errc::limit.
  static constexpr int max_zstd_window_log = 27;

 private:
  expected<void> dispatch(const uint8_t* data, size_t size, const sink& out);
  expected<void> feed_gzip(const uint8_t* data, size_t size, const sink& out);
  expected<void> inflate_some(const uint8_t* data, size_t size, size_t& consumed, const sink& out);
  expected<void> feed_zstd(const uint8_t* data, size_t size, const sink& out);
  expected<void> emit(const uint8_t* data, size_t size, const sink& out);
  expected<void> fail(std::string message);
  expected<void> fail(error e);

  enum class gzip_phase { member, between, trailing };

  uint64_t max_output_;
  uint64_t total_out_ = 0;
  compression format_ = compression::unknown;
  uint8_t sniff_[4] = {};
  size_t sniff_len_ = 0;
  bool failed_ = false;
  error error_;
  std::vector<uint8_t> buffer_;

  // gzip
  std::unique_ptr<inflate_state> inflate_;
  gzip_phase gz_phase_ = gzip_phase::member;
  uint8_t magic_[2] = {};
  size_t magic_len_ = 0;
  bool member_started_ = false;

  // zstd
  ZSTD_DCtx_s* zstd_ = nullptr;
  bool frame_open_ = false;
};

} // namespace regscan
