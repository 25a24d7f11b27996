#include "scanners/os/rpm_header.hpp"

#include <algorithm>
#include <utility>

namespace regscan {

namespace {

// rpmtag.h
constexpr uint32_t tag_name = 1000, tag_version = 1001, tag_release = 1002, tag_epoch = 1003,
                   tag_arch = 1022, tag_sourcerpm = 1044, tag_oldfilenames = 1027,
                   tag_dirindexes = 1116, tag_basenames = 1117, tag_dirnames = 1118,
                   tag_modularitylabel = 5096;
constexpr uint32_t type_int32 = 4, type_string = 6, type_string_array = 8, type_i18nstring = 9;
constexpr uint32_t max_index_entries = 0xffff; // rpm's hdrchkTags
constexpr uint32_t max_data_size = 256u << 20; // rpm's hdrchkData
constexpr uint32_t max_array = 1'000'000;       // strings or ints in one tag
constexpr size_t max_path = 4096;               // PATH_MAX
constexpr size_t max_file_bytes = 64u << 20;    // joined paths of one header

uint32_t be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(u[0]) << 24 | uint32_t(u[1]) << 16 | uint32_t(u[2]) << 8 | u[3];
}

struct entry {
  uint32_t type = 0, offset = 0, count = 0;
  bool present = false;
};

// `count` NUL-terminated strings from `offset`; an error when one runs off the end.
bool read_strings(std::string_view data, const entry& e, std::vector<std::string_view>& out) {
  if (e.offset > data.size() || e.count > data.size() - e.offset || e.count > max_array)
    return false; // each string takes at least its NUL
  size_t pos = e.offset;
  out.reserve(e.count);
  for (uint32_t i = 0; i < e.count; ++i) {
    auto nul = data.find('\0', pos);
    if (nul == std::string_view::npos)
      return false;
    out.push_back(data.substr(pos, nul - pos));
    pos = nul + 1;
  }
  return true;
}

bool read_string(std::string_view data, const entry& e, std::string& out) {
  if (!e.present)
    return true;
  if (e.type != type_string && e.type != type_i18nstring && e.type != type_string_array)
    return false;
  std::vector<std::string_view> v;
  entry one = e;
  one.count = 1;
  if (!read_strings(data, one, v))
    return false;
  out.assign(v[0]);
  return true;
}

bool read_int32s(std::string_view data, const entry& e, std::vector<uint32_t>& out) {
  if (e.type != type_int32 || e.offset > data.size() || e.count > (data.size() - e.offset) / 4
      || e.count > max_array)
    return false;
  out.reserve(e.count);
  for (uint32_t i = 0; i < e.count; ++i)
    out.push_back(be32(data.data() + e.offset + 4 * i));
  return true;
}

} // namespace

expected<rpm_header> parse_rpm_header(std::string_view blob) {
  if (blob.size() < 8)
    return error{"rpm header: shorter than 8 bytes"};
  uint32_t il = be32(blob.data()), dl = be32(blob.data() + 4);
  if (il == 0 || il > max_index_entries || dl > max_data_size)
    return error{"rpm header: bad index count " + std::to_string(il) + " or data size "
                 + std::to_string(dl)};
  if (8 + uint64_t(il) * 16 + dl > blob.size())
    return error{"rpm header: index and data run past the blob"};
  auto data = blob.substr(8 + size_t(il) * 16, dl);
  entry name, version, release, epoch, arch, sourcerpm, dirindexes, basenames, dirnames,
      oldfilenames, modularitylabel;
  for (uint32_t i = 0; i < il; ++i) {
    const char* p = blob.data() + 8 + size_t(i) * 16;
    entry e{be32(p + 4), be32(p + 8), be32(p + 12), true};
    switch (be32(p)) {
    case tag_name: name = e; break;
    case tag_version: version = e; break;
    case tag_release: release = e; break;
    case tag_epoch: epoch = e; break;
    case tag_arch: arch = e; break;
    case tag_sourcerpm: sourcerpm = e; break;
    case tag_dirindexes: dirindexes = e; break;
    case tag_basenames: basenames = e; break;
    case tag_dirnames: dirnames = e; break;
    case tag_oldfilenames: oldfilenames = e; break;
    case tag_modularitylabel: modularitylabel = e; break;
    default: break;
    }
  }
  rpm_header h;
  if (!name.present || !version.present)
    return error{"rpm header: no NAME or VERSION tag"};
  if (!read_string(data, name, h.name) || !read_string(data, version, h.version)
      || !read_string(data, release, h.release) || !read_string(data, arch, h.arch)
      || !read_string(data, sourcerpm, h.source_rpm)
      || !read_string(data, modularitylabel, h.modularity_label))
    return error{"rpm header: a string tag runs past the data"};
  if (epoch.present) {
    std::vector<uint32_t> v;
    if (!read_int32s(data, epoch, v) || v.empty())
      return error{"rpm header: bad EPOCH tag"};
    h.epoch = v[0];
  }
  if (basenames.present) {
    std::vector<std::string_view> base, dirs;
    std::vector<uint32_t> index;
    if (!read_strings(data, basenames, base) || !dirnames.present
        || !read_strings(data, dirnames, dirs) || !dirindexes.present
        || !read_int32s(data, dirindexes, index) || index.size() != base.size())
      return error{"rpm header: bad file list (BASENAMES/DIRNAMES/DIRINDEXES)"};
    h.files.reserve(base.size());
    size_t total = 0;
    for (size_t i = 0; i < base.size(); ++i) {
      if (index[i] >= dirs.size())
        return error{"rpm header: DIRINDEXES points past DIRNAMES"};
      auto dir = dirs[index[i]];
      // A crafted header can repeat one long DIRNAME for every file.
      total += dir.size() + base[i].size();
      if (dir.size() + base[i].size() > max_path || total > max_file_bytes)
        return error{"rpm header: file paths longer than PATH_MAX or " +
                     std::to_string(max_file_bytes) + " bytes in all"};
      h.files.push_back(std::string(dir) + std::string(base[i]));
    }
  } else if (oldfilenames.present) { // headers from rpm < 4.0
    std::vector<std::string_view> names;
    if (!read_strings(data, oldfilenames, names))
      return error{"rpm header: bad OLDFILENAMES tag"};
    for (auto n : names)
      h.files.emplace_back(n);
  }
  return h;
}

std::string rpm_source_name(std::string_view source_rpm) {
  // name-version-release.src.rpm (or .nosrc.rpm): drop the last two '-' fields.
  for (std::string_view suffix : {".src.rpm", ".nosrc.rpm"})
    if (source_rpm.ends_with(suffix)) {
      source_rpm.remove_suffix(suffix.size());
      auto release = source_rpm.rfind('-');
      if (release == std::string_view::npos || release == 0)
        return {};
      auto version = source_rpm.rfind('-', release - 1);
      if (version == std::string_view::npos || version == 0)
        return {};
      return std::string(source_rpm.substr(0, version));
    }
  return {};
}

std::string rpm_module_stream(std::string_view label) {
  auto name_end = label.find(':');
  if (name_end == std::string_view::npos || name_end == 0)
    return {};
  auto stream_end = label.find(':', name_end + 1);
  std::string_view stream = label.substr(name_end + 1, stream_end == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : stream_end - name_end - 1);
  if (stream.empty())
    return {};
  return std::string(label.substr(0, name_end + 1 + stream.size()));
}

} // namespace regscan
