#include "scanners/lang/cargo_auditable_cataloger.hpp"

#include <simdjson.h>
#include <zlib.h>

#include <cstring>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace {

namespace dom = simdjson::dom;

constexpr size_t max_json = 16u << 20; // the inflated dependency list

uint64_t read_uint(std::string_view f, size_t at, size_t width, bool big) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    auto b = uint8_t(f[at + (big ? i : width - 1 - i)]);
    v = v << 8 | b;
  }
  return v;
}

expected<std::string> inflate_bounded(std::string_view in) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK)
    return error{"zlib init failed"};
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  char buf[16384];
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return error{"bad zlib data in .dep-v0"};
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_json) {
      inflateEnd(&zs);
      return error{".dep-v0 inflates past " + std::to_string(max_json) + " bytes"};
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return error{"truncated zlib data in .dep-v0"};
    }
  }
  inflateEnd(&zs);
  return out;
}

} // namespace

expected<std::string_view> elf_section(std::string_view f, std::string_view name) {
  if (f.size() < 52 || std::memcmp(f.data(), "\x7f" "ELF", 4) != 0)
    return std::string_view{};
  bool is64 = f[4] == 2, big = f[5] == 2;
  if ((f[4] != 1 && f[4] != 2) || (f[5] != 1 && f[5] != 2) || (is64 && f.size() < 64))
    return error{"bad ELF identification"};
  uint64_t shoff = read_uint(f, is64 ? 0x28 : 0x20, is64 ? 8 : 4, big);
  uint64_t shentsize = read_uint(f, is64 ? 0x3a : 0x2e, 2, big);
  uint64_t shnum = read_uint(f, is64 ? 0x3c : 0x30, 2, big);
  uint64_t shstrndx = read_uint(f, is64 ? 0x3e : 0x32, 2, big);
  if (shnum == 0)
    return std::string_view{};
  size_t min_entsize = is64 ? 64 : 40;
  if (shentsize < min_entsize || shoff > f.size() || shnum > (f.size() - shoff) / shentsize
      || shstrndx >= shnum)
    return error{"ELF section headers run past the file"};
  auto section = [&](uint64_t i, uint64_t& off, uint64_t& size, uint32_t& name_off) {
    size_t h = shoff + i * shentsize;
    name_off = uint32_t(read_uint(f, h, 4, big));
    off = read_uint(f, h + (is64 ? 0x18 : 0x10), is64 ? 8 : 4, big);
    size = read_uint(f, h + (is64 ? 0x20 : 0x14), is64 ? 8 : 4, big);
    return off <= f.size() && size <= f.size() - off;
  };
  uint64_t str_off, str_size;
  uint32_t unused;
  if (!section(shstrndx, str_off, str_size, unused))
    return error{"ELF section name table runs past the file"};
  auto names = f.substr(str_off, str_size);
  for (uint64_t i = 0; i < shnum; ++i) {
    uint64_t off, size;
    uint32_t name_off;
    bool inside = section(i, off, size, name_off);
    if (name_off >= names.size())
      continue;
    auto rest = names.substr(name_off);
    if (rest.substr(0, rest.find('\0')) != name)
      continue;
    if (!inside)
      return error{"ELF section " + std::string(name) + " runs past the file"};
    return f.substr(off, size);
  }
  return std::string_view{};
}

bool cargo_auditable_cataloger::wants_executable(std::string_view, uint32_t, uint64_t size) const {
  return size >= 64;
}

void cargo_auditable_cataloger::parse(std::string_view path, std::string_view content,
                                      std::string_view layer, const os_info&,
                                      inventory& out) const {
  auto fail = [&](std::string why) {
    out.notes.push_back("cargo-auditable: " + std::string(path) + ": " + why);
  };
  auto section = elf_section(content, ".dep-v0");
  if (!section)
    return; // a damaged ELF is not ours to report: most executables are not Rust
  if (section->empty())
    return;
  auto json = inflate_bounded(*section);
  if (!json)
    return fail(json.err().message);
  simdjson::padded_string padded{*json};
  dom::parser parser;
  dom::array packages;
  if (auto err = parser.parse(padded)["packages"].get_array().get(packages);
      err != simdjson::SUCCESS)
    return fail(std::string("bad dependency JSON: ") + simdjson::error_message(err));
  size_t index = 0;
  for (dom::element e : packages) {
    std::string_view name, version, source;
    ++index;
    if (e["name"].get_string().get(name) != simdjson::SUCCESS
        || e["version"].get_string().get(version) != simdjson::SUCCESS
        || !util::valid_token(name) || !util::valid_token(version)) {
      fail("package #" + std::to_string(index) + (name.empty() ? "" : " (" + std::string(name) + ")")
           + " has no valid name or version; not listed");
      continue;
    }
    // "local" is the workspace itself, "git"/"registry" are not on crates.io.
    if (e["source"].get_string().get(source) != simdjson::SUCCESS || source != "crates.io") {
      fail("package " + std::string(name) + "@" + std::string(version) + " from source \""
           + std::string(source) + "\", not crates.io; not listed");
      continue;
    }
    out.packages.push_back(util::language_package("crates.io", name, version, path, layer));
  }
}

} // namespace regscan
