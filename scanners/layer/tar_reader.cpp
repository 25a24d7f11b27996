#include "scanners/layer/tar_reader.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace regscan {

namespace {

constexpr size_t block_size = 512;

// ustar header field offsets and widths.
constexpr size_t off_name = 0, len_name = 100;
constexpr size_t off_mode = 100, len_mode = 8;
constexpr size_t off_size = 124, len_size = 12;
constexpr size_t off_chksum = 148, len_chksum = 8;
constexpr size_t off_type = 156;
constexpr size_t off_link = 157, len_link = 100;
constexpr size_t off_magic = 257;
constexpr size_t off_prefix = 345, len_prefix = 155;
constexpr size_t off_gnu_isextended = 482;      // old GNU sparse header
constexpr size_t off_sparse_ext_isextended = 504; // in each extension block

std::string_view field(const uint8_t* block, size_t offset, size_t length) {
  auto p = reinterpret_cast<const char*>(block + offset);
  auto n = static_cast<size_t>(std::find(p, p + length, '\0') - p);
  return {p, n};
}

// Octal numbers are space/NUL padded; GNU stores big ones in base-256.
bool parse_number(const uint8_t* block, size_t offset, size_t length, uint64_t& out) {
  const uint8_t* p = block + offset;
  out = 0;
  if (p[0] & 0x80) {
    if (p[0] == 0xff)
      return false; // negative
    uint64_t v = p[0] & 0x7f;
    for (size_t i = 1; i < length; ++i) {
      if (v >> 55)
        return false; // would overflow 63 bits
      v = (v << 8) | p[i];
    }
    out = v;
    return true;
  }
  size_t i = 0;
  while (i < length && (p[i] == ' ' || p[i] == '\0'))
    ++i;
  for (; i < length; ++i) {
    if (p[i] == ' ' || p[i] == '\0')
      break;
    if (p[i] < '0' || p[i] > '7')
      return false;
    if (out >> 60)
      return false;
    out = out * 8 + (p[i] - '0');
  }
  // Only padding may follow the digits.
  for (; i < length; ++i)
    if (p[i] != ' ' && p[i] != '\0')
      return false;
  return true;
}

bool checksum_ok(const uint8_t* block) {
  uint64_t stored = 0;
  if (!parse_number(block, off_chksum, len_chksum, stored))
    return false;
  // Historic writers summed signed chars; accept either.
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < block_size; ++i) {
    bool in_field = i >= off_chksum && i < off_chksum + len_chksum;
    uint8_t b = in_field ? ' ' : block[i];
    unsigned_sum += b;
    signed_sum += static_cast<int8_t>(b);
  }
  return stored == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

bool all_zero(const uint8_t* block) {
  for (size_t i = 0; i < block_size; ++i)
    if (block[i])
      return false;
  return true;
}

uint64_t padding_for(uint64_t size) {
  return (block_size - size % block_size) % block_size;
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19)
    return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

} // namespace

bool normalize_tar_path(std::string_view raw, std::string& out) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string_view::npos)
      j = raw.size();
    auto part = raw.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (parts.empty())
        return false; // climbs above the root
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  out.clear();
  for (auto part : parts) {
    if (!out.empty())
      out += '/';
    out.append(part);
  }
  return true;
}

tar_reader::tar_reader(tar_visitor& visitor, tar_limits limits)
  : visitor_(visitor), limits_(limits) {}

expected<void> tar_reader::fail(std::string message) {
  failed_ = true;
  error_ = make_error(std::move(message));
  return error_;
}

expected<void> tar_reader::feed(const uint8_t* data, size_t size) {
  if (failed_)
    return error_;
  while (size > 0) {
    switch (state_) {
      case state::done:
        return {}; // the archive ended: the rest is record padding
      case state::header:
      case state::sparse_ext: {
        size_t n = std::min(size, block_size - block_len_);
        std::memcpy(block_ + block_len_, data, n);
        block_len_ += n;
        data += n;
        size -= n;
        if (block_len_ < block_size)
          break;
        block_len_ = 0;
        if (state_ == state::sparse_ext) {
          if (block_[off_sparse_ext_isextended] == 0)
            if (auto r = start_content(); !r)
              return r;
          break;
        }
        if (auto r = on_header(); !r)
          return r;
        break;
      }
      case state::meta: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(size, remaining_));
        if (!ignore_meta_)
          meta_.append(reinterpret_cast<const char*>(data), n);
        data += n;
        size -= n;
        remaining_ -= n;
        if (remaining_ == 0)
          if (auto r = on_meta_complete(); !r)
            return r;
        break;
      }
      case state::content: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(size, remaining_));
        if (deliver_)
          if (auto r = visitor_.entry_data(data, n); !r)
            return fail(r.err().message);
        data += n;
        size -= n;
        remaining_ -= n;
        if (remaining_ == 0)
          if (auto r = end_content(); !r)
            return r;
        break;
      }
      case state::padding: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(size, padding_));
        data += n;
        size -= n;
        padding_ -= n;
        if (padding_ == 0)
          state_ = state::header;
        break;
      }
    }
  }
  return {};
}

expected<void> tar_reader::finish() {
  if (failed_)
    return error_;
  if (state_ == state::done)
    return {};
  bool pending_meta = has_long_name_ || has_long_link_ || has_pax_path_ || has_pax_link_
                      || has_pax_size_;
  if (state_ == state::header && block_len_ == 0 && !pending_meta)
    return {}; // no end-of-archive blocks, but nothing cut either
  return fail("truncated tar stream");
}

expected<void> tar_reader::start_content() {
  remaining_ = content_size_;
  padding_ = padding_for(content_size_);
  if (remaining_ == 0)
    return end_content();
  state_ = state::content;
  return {};
}

expected<void> tar_reader::end_content() {
  if (deliver_) {
    deliver_ = false;
    if (auto r = visitor_.entry_end(); !r)
      return fail(r.err().message);
  }
  state_ = padding_ > 0 ? state::padding : state::header;
  return {};
}

expected<void> tar_reader::on_header() {
  if (all_zero(block_)) {
    if (++zero_blocks_ == 2)
      state_ = state::done;
    return {};
  }
  zero_blocks_ = 0; // a lone zero block: keep reading, as GNU tar does
  if (!checksum_ok(block_))
    return fail(entries_ == 0 ? "not a tar archive (bad header checksum)"
                              : "corrupt tar header (checksum mismatch)");
  uint64_t size = 0;
  if (!parse_number(block_, off_size, len_size, size))
    return fail("corrupt tar header (bad size field)");
  char type = static_cast<char>(block_[off_type]);

  if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
    ignore_meta_ = type == 'g';
    if (!ignore_meta_ && size > limits_.max_meta_size)
      return fail("tar metadata header too large (" + std::to_string(size) + " bytes)");
    meta_kind_ = type == 'L' ? meta_kind::long_name
                 : type == 'K' ? meta_kind::long_link
                               : meta_kind::pax;
    meta_.clear();
    if (!ignore_meta_)
      meta_.reserve(static_cast<size_t>(size));
    remaining_ = size;
    padding_ = padding_for(size);
    state_ = state::meta;
    if (size == 0)
      return on_meta_complete();
    return {};
  }

  // A real entry: apply the overrides collected from the headers before it.
  std::string raw_path;
  if (has_pax_path_) {
    raw_path = std::move(pax_path_);
  } else if (has_long_name_) {
    raw_path = std::move(long_name_);
  } else {
    auto name = field(block_, off_name, len_name);
    bool posix = std::memcmp(block_ + off_magic, "ustar\0", 6) == 0;
    auto prefix = posix ? field(block_, off_prefix, len_prefix) : std::string_view{};
    if (!prefix.empty()) {
      raw_path.assign(prefix);
      raw_path += '/';
    }
    raw_path.append(name);
  }
  std::string raw_link;
  if (has_pax_link_)
    raw_link = std::move(pax_link_);
  else if (has_long_link_)
    raw_link = std::move(long_link_);
  else
    raw_link.assign(field(block_, off_link, len_link));
  if (has_pax_size_)
    size = pax_size_;
  bool sparse = pax_sparse_;
  has_pax_path_ = has_pax_link_ = has_pax_size_ = has_long_name_ = has_long_link_ = false;
  pax_sparse_ = false;
  pax_path_.clear();
  pax_link_.clear();
  long_name_.clear();
  long_link_.clear();

  if (++entries_ > limits_.max_entries)
    return fail("tar entry limit exceeded (max_entries=" + std::to_string(limits_.max_entries)
                + ")");
  if (raw_path.size() > limits_.max_path_length || raw_link.size() > limits_.max_path_length)
    return fail("tar path too long (max_path_length=" + std::to_string(limits_.max_path_length)
                + ")");

  tar_entry entry;
  uint64_t mode = 0;
  if (parse_number(block_, off_mode, len_mode, mode))
    entry.mode = static_cast<uint32_t>(mode & 07777);
  switch (type) {
    case '0': case '\0': case '7': entry.type = tar_entry_type::file; break;
    case '1': entry.type = tar_entry_type::hardlink; break;
    case '2': entry.type = tar_entry_type::symlink; break;
    case '5': entry.type = tar_entry_type::dir; break;
    default: entry.type = tar_entry_type::other; break;
  }
  if (sparse)
    entry.type = tar_entry_type::other; // pax sparse: the content is not the file
  // These types carry no content whatever the size field says (as Go's archive/tar).
  bool header_only = type == '1' || type == '2' || type == '3' || type == '4' || type == '5'
                     || type == '6';
  content_size_ = header_only ? 0 : size;
  entry.size = content_size_;

  bool safe = normalize_tar_path(raw_path, entry.path);
  if (safe && entry.type == tar_entry_type::hardlink)
    safe = normalize_tar_path(raw_link, entry.link_target);
  else
    entry.link_target = std::move(raw_link);
  deliver_ = false;
  if (!safe)
    ++unsafe_entries_; // never delivered: it would land outside the image root
  else if (!entry.path.empty())
    deliver_ = visitor_.entry_begin(entry);

  if (type == 'S' && block_[off_gnu_isextended] != 0) {
    state_ = state::sparse_ext; // more sparse map blocks precede the data
    return {};
  }
  return start_content();
}

expected<void> tar_reader::on_meta_complete() {
  state_ = padding_ > 0 ? state::padding : state::header;
  if (ignore_meta_) {
    ignore_meta_ = false;
    return {};
  }
  switch (meta_kind_) {
    case meta_kind::long_name:
    case meta_kind::long_link: {
      auto nul = meta_.find('\0');
      if (nul != std::string::npos)
        meta_.resize(nul);
      if (meta_kind_ == meta_kind::long_name) {
        long_name_ = std::move(meta_);
        has_long_name_ = true;
      } else {
        long_link_ = std::move(meta_);
        has_long_link_ = true;
      }
      meta_.clear();
      return {};
    }
    case meta_kind::pax:
      return parse_pax();
  }
  return {};
}

// Records are "<len> <key>=<value>\n", <len> counting the whole record.
expected<void> tar_reader::parse_pax() {
  std::string_view rest = meta_;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    uint64_t len = 0;
    if (space == std::string_view::npos || !parse_decimal(rest.substr(0, space), len)
        || len <= space + 1 || len > rest.size() || rest[len - 1] != '\n')
      return fail("malformed pax header");
    auto record = rest.substr(space + 1, len - space - 2);
    rest.remove_prefix(len);
    auto eq = record.find('=');
    if (eq == std::string_view::npos)
      return fail("malformed pax header");
    auto key = record.substr(0, eq);
    auto value = record.substr(eq + 1);
    // An empty value unsets the key.
    if (key == "path") {
      pax_path_.assign(value);
      has_pax_path_ = !value.empty();
    } else if (key == "linkpath") {
      pax_link_.assign(value);
      has_pax_link_ = !value.empty();
    } else if (key == "size") {
      has_pax_size_ = !value.empty();
      if (has_pax_size_ && (!parse_decimal(value, pax_size_) || pax_size_ > (uint64_t{1} << 62)))
        return fail("malformed pax header (bad size)");
    } else if (key.starts_with("GNU.sparse.")) {
      pax_sparse_ = true;
    }
  }
  meta_.clear();
  return {};
}

} // namespace regscan
