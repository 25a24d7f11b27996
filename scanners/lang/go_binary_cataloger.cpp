#include "scanners/lang/go_binary_cataloger.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace regscan {

namespace {

constexpr std::string_view magic = "\xff Go buildinf:";
constexpr size_t search_window = 64 * 1024; // what Go's debug/buildinfo searches too
constexpr uint64_t max_string = 1 << 20;
constexpr uint64_t min_binary = 4096;
constexpr uint64_t max_binary = uint64_t{2} << 30;

struct segment {
  uint64_t vaddr, offset, filesz;
  bool writable;
};

class elf {
 public:
  bool open(std::string_view b, std::string& why) {
    b_ = b;
    if (b.size() < 64 || !b.starts_with("\x7f" "ELF")) {
      why = "not an ELF file";
      return false;
    }
    is64_ = b[4] == 2;
    big_ = b[5] == 2;
    uint64_t phoff = is64_ ? u(32, 8) : u(28, 4);
    uint64_t phentsize = u(is64_ ? 54 : 42, 2);
    uint64_t phnum = u(is64_ ? 56 : 44, 2);
    for (uint64_t i = 0; i < phnum && phentsize >= (is64_ ? 56u : 32u); ++i) {
      uint64_t p = phoff + i * phentsize;
      if (p + phentsize > b.size() || p < phoff)
        break;
      if (u(p, 4) != 1) // PT_LOAD
        continue;
      segment s;
      uint64_t flags = is64_ ? u(p + 4, 4) : u(p + 24, 4);
      s.offset = is64_ ? u(p + 8, 8) : u(p + 4, 4);
      s.vaddr = is64_ ? u(p + 16, 8) : u(p + 8, 4);
      s.filesz = is64_ ? u(p + 32, 8) : u(p + 16, 4);
      s.writable = flags & 2;
      segments_.push_back(s);
    }
    return true;
  }

  // The file range of the named section, or {0, 0}.
  std::pair<uint64_t, uint64_t> section(std::string_view wanted) const {
    uint64_t shoff = is64_ ? u(40, 8) : u(32, 4);
    uint64_t shentsize = u(is64_ ? 58 : 46, 2);
    uint64_t shnum = u(is64_ ? 60 : 48, 2);
    uint64_t shstrndx = u(is64_ ? 62 : 50, 2);
    if (shentsize < (is64_ ? 64u : 40u) || shstrndx >= shnum)
      return {0, 0};
    auto header = [&](uint64_t i, uint64_t field64, uint64_t field32) -> uint64_t {
      uint64_t p = shoff + i * shentsize;
      if (p < shoff || p + shentsize > b_.size())
        return 0;
      return is64_ ? u(p + field64, 8) : u(p + field32, 4);
    };
    uint64_t strtab = header(shstrndx, 24, 16);
    uint64_t strsize = header(shstrndx, 32, 20);
    for (uint64_t i = 0; i < shnum; ++i) {
      uint64_t p = shoff + i * shentsize;
      if (p < shoff || p + shentsize > b_.size())
        break;
      uint64_t name = u(p, 4);
      // Subtractions, not sums: a hostile strtab near 2^64 would wrap.
      if (name >= strsize || strtab > b_.size() || name > b_.size() - strtab
          || wanted.size() >= b_.size() - strtab - name)
        continue;
      if (b_.substr(strtab + name, wanted.size() + 1) != std::string(wanted) + '\0')
        continue;
      return {header(i, 24, 16), header(i, 32, 20)};
    }
    return {0, 0};
  }

  const std::vector<segment>& segments() const { return segments_; }

  // Virtual address -> file offset, when the whole [addr, addr + n) is in the file.
  bool file_offset(uint64_t addr, uint64_t n, uint64_t& off) const {
    for (const auto& s : segments_)
      if (addr >= s.vaddr && addr - s.vaddr <= s.filesz && n <= s.filesz - (addr - s.vaddr)) {
        off = s.offset + (addr - s.vaddr);
        return off <= b_.size() && n <= b_.size() - off;
      }
    return false;
  }

  // An unsigned integer of n bytes at off in the file's byte order; 0 when out of bounds.
  uint64_t u(uint64_t off, unsigned n) const { return read(off, n, big_); }

  uint64_t read(uint64_t off, unsigned n, bool big) const {
    if (off > b_.size() || n > b_.size() - off)
      return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) {
      auto byte = static_cast<uint8_t>(b_[off + (big ? i : n - 1 - i)]);
      v = (v << 8) | byte;
    }
    return v;
  }

 private:
  std::string_view b_;
  bool is64_ = false, big_ = false;
  std::vector<segment> segments_;
};

// Finds the magic on a 16-byte boundary within the first window of [start, start + size).
bool find_magic(std::string_view b, uint64_t start, uint64_t size, uint64_t& at) {
  if (start >= b.size())
    return false;
  auto end = std::min<uint64_t>({start + size, start + search_window, b.size()});
  for (uint64_t p = start; p + 32 <= end; p += 16)
    if (b.substr(p, magic.size()) == magic) {
      at = p;
      return true;
    }
  return false;
}

bool uvarint(std::string_view b, uint64_t& pos, uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= b.size())
      return false;
    auto byte = static_cast<uint8_t>(b[pos++]);
    v |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}

std::string_view strip_v(std::string_view v) {
  if (v.size() > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9')
    v.remove_prefix(1);
  return v;
}

void add(std::string_view name, std::string_view version, std::string_view source_name,
         std::string_view source_version, std::string_view path, std::string_view layer,
         inventory& out) {
  package p;
  p.ecosystem = "Go";
  p.name.assign(name);
  p.version.assign(version);
  p.source_name.assign(source_name);
  p.source_version.assign(source_version);
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    auto tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos)
      return fields;
    line.remove_prefix(tab + 1);
  }
}

} // namespace

bool read_go_build_info(std::string_view b, go_build_info& out, std::string& why) {
  elf file;
  if (!file.open(b, why))
    return false;
  uint64_t at = 0;
  auto [start, size] = file.section(".go.buildinfo");
  bool found = size > 0 && find_magic(b, start, size, at);
  if (!found) // stripped section headers: Go's reader falls back to the first writable segment
    for (const auto& s : file.segments())
      if (s.writable) {
        found = find_magic(b, s.offset, s.filesz, at);
        break;
      }
  if (!found) {
    why = "no Go build info";
    return false;
  }
  unsigned ptr_size = static_cast<uint8_t>(b[at + 14]);
  unsigned flags = static_cast<uint8_t>(b[at + 15]);
  std::string_view version, mod;
  if (flags & 2) { // Go 1.18+: two varint-prefixed strings after the 32-byte header
    uint64_t pos = at + 32, n = 0;
    if (!uvarint(b, pos, n) || n > max_string || n > b.size() - pos) {
      why = "bad Go build info: version string out of bounds";
      return false;
    }
    version = b.substr(pos, n);
    pos += n;
    if (!uvarint(b, pos, n) || n > max_string || n > b.size() - pos) {
      why = "bad Go build info: module info out of bounds";
      return false;
    }
    mod = b.substr(pos, n);
  } else { // pointers to Go string headers {data pointer, length}
    if (ptr_size != 4 && ptr_size != 8) {
      why = "bad Go build info: pointer size " + std::to_string(ptr_size);
      return false;
    }
    bool big = flags & 1;
    auto go_string = [&](uint64_t header_addr, std::string_view& s) {
      uint64_t off = 0;
      if (!file.file_offset(header_addr, 2 * ptr_size, off))
        return false;
      uint64_t data = file.read(off, ptr_size, big);
      uint64_t len = file.read(off + ptr_size, ptr_size, big);
      if (len > max_string || !file.file_offset(data, len, off))
        return false;
      s = b.substr(off, len);
      return true;
    };
    if (!go_string(file.read(at + 16, ptr_size, big), version)
        || !go_string(file.read(at + 16 + ptr_size, ptr_size, big), mod)) {
      why = "bad Go build info: pointer out of the file";
      return false;
    }
  }
  out.go_version.assign(version);
  // The module info sits between two 16-byte sentinels; without them it is unusable.
  if (mod.size() >= 33 && mod[mod.size() - 17] == '\n')
    out.mod_info.assign(mod.substr(16, mod.size() - 32));
  else
    out.mod_info.clear();
  return true;
}

bool go_binary_cataloger::wants_executable(std::string_view, uint32_t mode, uint64_t size) const {
  return (mode & 0111) != 0 && size >= min_binary && size <= max_binary;
}

void go_binary_cataloger::parse(std::string_view path, std::string_view content,
                                std::string_view layer, const os_info&, inventory& out) const {
  go_build_info info;
  std::string why;
  if (!read_go_build_info(content, info, why)) {
    if (why.starts_with("bad")) // an ordinary non-Go executable is not worth a note
      out.notes.push_back("go-binary: " + std::string(path) + ": " + why);
    return;
  }
  add_go_modules(info, path, layer, out);
}

void add_go_modules(const go_build_info& info, std::string_view path, std::string_view layer,
                    inventory& out) {
  std::string_view go = info.go_version;
  go = go.substr(0, go.find(' ')); // "go1.21.0 X:boringcrypto"
  if (go.starts_with("go") && go.size() > 2 && go[2] >= '0' && go[2] <= '9')
    add("stdlib", go.substr(2), "stdlib", go.substr(2), path, layer, out);
  // Lines: "path P", "mod P V [sum]", "dep P V [sum]", "=> P V [sum]" (replaces the line before).
  std::string_view mod = info.mod_info;
  bool last_was_dep = false;
  while (!mod.empty()) {
    auto nl = mod.find('\n');
    auto line = mod.substr(0, nl);
    mod.remove_prefix(nl == std::string_view::npos ? mod.size() : nl + 1);
    auto f = split_tabs(line);
    if (f.size() >= 3 && (f[0] == "mod" || f[0] == "dep") && !f[1].empty()) {
      auto version = strip_v(f[2]);
      add(f[1], version, f[1], version, path, layer, out);
      last_was_dep = true;
      continue;
    }
    if (f.size() >= 2 && f[0] == "=>" && last_was_dep && !out.packages.empty()) {
      auto& p = out.packages.back();
      auto version = f.size() >= 3 ? strip_v(f[2]) : std::string_view{};
      bool local = f[1].starts_with('.') || f[1].starts_with('/') || version.empty();
      if (local)
        p.version = "(devel)";
      else {
        p.name.assign(f[1]);
        p.version.assign(version);
      }
    } else if (!line.empty() && !(f.size() >= 2 && (f[0] == "path" || f[0] == "build"))) {
      out.notes.push_back("go-binary: " + std::string(path) + ": module info line \""
                          + std::string(line.substr(0, 200)) + "\" not understood; not listed");
    }
    last_was_dep = false;
  }
}

} // namespace regscan
