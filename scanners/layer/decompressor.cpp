#include "scanners/layer/decompressor.hpp"

#include <isa-l/igzip_lib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace regscan {

namespace {

// Big enough to amortise the sink's per-chunk cost, small enough to stay flat.
constexpr size_t out_buffer_size = 256 * 1024;
// isal_inflate counts input in 32 bits.
constexpr size_t max_inflate_slice = size_t{1} << 30;

std::string isal_message(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "corrupt gzip stream: invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "corrupt gzip stream: invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "corrupt gzip stream: invalid lookback distance";
    case ISAL_INVALID_WRAPPER: return "corrupt gzip stream: invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "corrupt gzip stream: unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "corrupt gzip stream: checksum mismatch";
    case ISAL_NEED_DICT: return "corrupt gzip stream: needs a preset dictionary";
    default: return "corrupt gzip stream: inflate error " + std::to_string(rc);
  }
}

} // namespace

decompressor::decompressor(uint64_t max_output) : max_output_(max_output) {}

decompressor::~decompressor() {
  ZSTD_freeDCtx(zstd_);
}

expected<void> decompressor::fail(std::string message) {
  return fail(make_error(std::move(message)));
}

expected<void> decompressor::fail(error e) {
  failed_ = true;
  error_ = std::move(e);
  return error_;
}

expected<void> decompressor::emit(const uint8_t* data, size_t size, const sink& out) {
  if (size == 0)
    return {};
  if (size > max_output_ - std::min(total_out_, max_output_))
    return fail(make_error(errc::limit, "decompressed size limit exceeded (bomb?)"));
  total_out_ += size;
  if (auto r = out(data, size); !r)
    return fail(r.err()); // keeps its code: a sink's limit stays a limit
  return {};
}

expected<void> decompressor::feed(const uint8_t* data, size_t size, const sink& out) {
  if (failed_)
    return error_;
  if (format_ == compression::unknown) {
    // Collect up to 4 bytes: the longest magic (zstd) we sniff.
    while (size > 0 && sniff_len_ < sizeof(sniff_)) {
      sniff_[sniff_len_++] = *data++;
      --size;
      bool maybe_gzip = sniff_[0] == 0x1f && (sniff_len_ < 2 || sniff_[1] == 0x8b);
      static constexpr uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
      bool maybe_zstd = std::memcmp(sniff_, zstd_magic, sniff_len_) == 0;
      if (maybe_gzip && sniff_len_ == 2) {
        format_ = compression::gzip;
        break;
      }
      if (maybe_zstd && sniff_len_ == 4) {
        format_ = compression::zstd;
        break;
      }
      if (!maybe_gzip && !maybe_zstd) {
        format_ = compression::none;
        break;
      }
    }
    if (format_ == compression::unknown)
      return {};
    auto held = sniff_len_;
    sniff_len_ = 0;
    if (auto r = dispatch(sniff_, held, out); !r)
      return r;
  }
  return dispatch(data, size, out);
}

expected<void> decompressor::dispatch(const uint8_t* data, size_t size, const sink& out) {
  switch (format_) {
    case compression::gzip: return feed_gzip(data, size, out);
    case compression::zstd: return feed_zstd(data, size, out);
    default: return emit(data, size, out);
  }
}

expected<void> decompressor::finish(const sink& out) {
  if (failed_)
    return error_;
  if (format_ == compression::unknown) {
    // Fewer bytes than a magic: whatever it is, it is not compressed.
    format_ = compression::none;
    auto held = sniff_len_;
    sniff_len_ = 0;
    return emit(sniff_, held, out);
  }
  if (format_ == compression::gzip && gz_phase_ == gzip_phase::member)
    return fail(make_error(errc::corrupt, "truncated gzip stream"));
  if (format_ == compression::zstd && frame_open_)
    return fail(make_error(errc::corrupt, "truncated zstd stream"));
  return {};
}

expected<void> decompressor::inflate_some(const uint8_t* data, size_t size, size_t& consumed,
                                          const sink& out) {
  auto* st = inflate_.get();
  st->next_in = const_cast<uint8_t*>(data);
  st->avail_in = static_cast<uint32_t>(std::min(size, max_inflate_slice));
  auto slice = st->avail_in;
  if (slice > 0)
    member_started_ = true;
  for (;;) {
    st->next_out = buffer_.data();
    st->avail_out = static_cast<uint32_t>(buffer_.size());
    int rc = isal_inflate(st);
    size_t produced = buffer_.size() - st->avail_out;
    if (rc < 0 || rc == ISAL_NEED_DICT)
      return fail(make_error(errc::corrupt, isal_message(rc)));
    if (auto r = emit(buffer_.data(), produced, out); !r)
      return r;
    if (st->block_state == ISAL_BLOCK_FINISH)
      break;
    // A full output buffer may hide more output; otherwise input is used up.
    if (st->avail_out != 0)
      break;
  }
  consumed = slice - st->avail_in;
  return {};
}

expected<void> decompressor::feed_gzip(const uint8_t* data, size_t size, const sink& out) {
  if (!inflate_) {
    inflate_ = std::make_unique<inflate_state>();
    isal_inflate_init(inflate_.get());
    inflate_->crc_flag = ISAL_GZIP;
    buffer_.resize(out_buffer_size);
  }
  while (size > 0) {
    switch (gz_phase_) {
      case gzip_phase::trailing:
        // Bytes after the last member that are not a gzip header: gzip(1)
        // ignores them too (zero padding from some registries).
        return {};
      case gzip_phase::between: {
        // Another member follows only if it starts with the gzip magic.
        magic_[magic_len_++] = *data++;
        --size;
        if (magic_[0] != 0x1f || (magic_len_ == 2 && magic_[1] != 0x8b)) {
          gz_phase_ = gzip_phase::trailing;
          return {};
        }
        if (magic_len_ < 2)
          break;
        isal_inflate_reset(inflate_.get());
        inflate_->crc_flag = ISAL_GZIP;
        gz_phase_ = gzip_phase::member;
        magic_len_ = 0;
        size_t used = 0;
        if (auto r = inflate_some(magic_, 2, used, out); !r)
          return r;
        break;
      }
      case gzip_phase::member: {
        size_t used = 0;
        if (auto r = inflate_some(data, size, used, out); !r)
          return r;
        data += used;
        size -= used;
        if (inflate_->block_state == ISAL_BLOCK_FINISH) {
          gz_phase_ = gzip_phase::between;
          magic_len_ = 0;
        } else if (used == 0 && size > 0 && inflate_->avail_in > 0) {
          // No progress although input is available: never spin.
          return fail(make_error(errc::corrupt, "corrupt gzip stream: inflate made no progress"));
        }
        break;
      }
    }
  }
  return {};
}

expected<void> decompressor::feed_zstd(const uint8_t* data, size_t size, const sink& out) {
  if (!zstd_) {
    zstd_ = ZSTD_createDCtx();
    if (!zstd_)
      return fail("zstd: cannot allocate a decompression context");
    // Explicit, not the library's default: the memory one layer may take.
    auto set = ZSTD_DCtx_setParameter(zstd_, ZSTD_d_windowLogMax, max_zstd_window_log);
    if (ZSTD_isError(set))
      return fail(std::string("zstd: cannot set the window limit: ") + ZSTD_getErrorName(set));
    buffer_.resize(out_buffer_size);
  }
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer ob{buffer_.data(), buffer_.size(), 0};
    auto in_before = in.pos;
    size_t rc = ZSTD_decompressStream(zstd_, &ob, &in);
    if (ZSTD_isError(rc) && ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
      return fail(make_error(errc::limit, "zstd frame needs a window larger than the limit of "
                                            + std::to_string((1u << max_zstd_window_log) >> 20) + " MiB"));
    if (ZSTD_isError(rc))
      return fail(make_error(errc::corrupt, std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc)));
    // rc == 0: a frame ended and is fully flushed; frames may be concatenated.
    // A call that made no progress (no input at a frame boundary) only
    // returns a size hint for the next frame: it opens nothing.
    if (in.pos > in_before || ob.pos > 0)
      frame_open_ = rc != 0;
    if (auto r = emit(buffer_.data(), ob.pos, out); !r)
      return r;
    if (in.pos == in.size && ob.pos < ob.size)
      break;
  }
  return {};
}

} // namespace regscan
