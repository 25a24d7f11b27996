#pragma once
// A tiny tar writer for tests: ustar, GNU and v7 headers, long names, pax
// records, links and whiteouts, with hostile variants (bad checksums, huge sizes).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace regscan {

enum class tar_format { ustar, gnu, v7 };

struct tar_header_spec {
  std::string name = {};
  char type = '0';
  uint64_t size = 0;
  std::string link = {};
  uint32_t mode = 0644;
  tar_format format = tar_format::ustar;
  std::string prefix = {};
  bool base256_size = false;
  bool bad_checksum = false;
};

inline std::string tar_header(const tar_header_spec& s) {
  std::string h(512, '\0');
  std::memcpy(h.data(), s.name.data(), std::min<size_t>(s.name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", s.mode);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  if (s.base256_size) {
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i)
      h[135 - i] = static_cast<char>((s.size >> (8 * i)) & 0xff);
  } else {
    std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(s.size));
  }
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = s.type;
  std::memcpy(h.data() + 157, s.link.data(), std::min<size_t>(s.link.size(), 100));
  if (s.format == tar_format::ustar) {
    std::memcpy(h.data() + 257, "ustar\0" "00", 8);
    std::memcpy(h.data() + 345, s.prefix.data(), std::min<size_t>(s.prefix.size(), 155));
  } else if (s.format == tar_format::gnu) {
    std::memcpy(h.data() + 257, "ustar  \0", 8);
  }
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h)
    sum += c;
  if (s.bad_checksum)
    sum += 1;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

inline std::string pad(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

struct tar_builder {
  std::string out;
  tar_format format = tar_format::ustar;

  tar_builder& entry(tar_header_spec spec, const std::string& content = "") {
    if (spec.format == tar_format::ustar)
      spec.format = format;
    if (spec.size == 0)
      spec.size = content.size();
    out += tar_header(spec);
    out += pad(content);
    return *this;
  }
  tar_builder& file(const std::string& name, const std::string& content, uint32_t mode = 0644) {
    return entry({.name = name, .type = '0', .size = content.size(), .mode = mode}, content);
  }
  tar_builder& dir(const std::string& name) { return entry({.name = name, .type = '5', .mode = 0755}); }
  tar_builder& symlink(const std::string& name, const std::string& target) {
    return entry({.name = name, .type = '2', .link = target, .mode = 0777});
  }
  tar_builder& hardlink(const std::string& name, const std::string& target) {
    return entry({.name = name, .type = '1', .link = target});
  }
  tar_builder& whiteout(const std::string& name) { return file(name, ""); }
  // GNU: the name (or link) in a ././@LongLink entry before the real header.
  tar_builder& gnu_long(char kind, const std::string& value) {
    std::string data = value + '\0';
    out += tar_header({.name = "././@LongLink", .type = kind, .size = data.size(),
                       .format = tar_format::gnu});
    out += pad(data);
    return *this;
  }
  tar_builder& pax(const std::vector<std::pair<std::string, std::string>>& records, char type = 'x') {
    std::string data;
    for (const auto& [k, v] : records) {
      std::string body = " " + k + "=" + v + "\n";
      size_t len = body.size() + 1;
      while (std::to_string(len).size() + body.size() != len)
        ++len;
      data += std::to_string(len) + body;
    }
    out += tar_header({.name = "PaxHeaders/x", .type = type, .size = data.size()});
    out += pad(data);
    return *this;
  }
  std::string finish() {
    out += std::string(1024, '\0');
    return out;
  }
};

} // namespace regscan
