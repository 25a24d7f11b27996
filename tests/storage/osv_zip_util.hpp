#pragma once
// Reading and writing OSV all.zip archives in tests, with libzip: subsets of
// the real exports stand for "yesterday's" download.
#include <string>
#include <utility>
#include <vector>

#include <zip.h>

namespace regscan::test {

using zip_entries = std::vector<std::pair<std::string, std::string>>; // (name, content)

inline zip_entries read_zip(const std::string& path) {
  zip_entries out;
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!za)
    return out;
  auto n = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0)
      continue;
    zip_file_t* f = zip_fopen_index(za, static_cast<zip_uint64_t>(i), 0);
    if (!f)
      continue;
    std::string data(st.size, '\0');
    auto got = zip_fread(f, data.data(), st.size);
    zip_fclose(f);
    if (got == static_cast<zip_int64_t>(st.size))
      out.emplace_back(st.name, std::move(data));
  }
  zip_discard(za);
  return out;
}

inline bool write_osv_zip(const std::string& path, const zip_entries& entries) {
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za)
    return false;
  for (auto& [name, content] : entries) {
    zip_source_t* src = zip_source_buffer(za, content.data(), content.size(), 0);
    if (!src || zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(src);
      zip_discard(za);
      return false;
    }
  }
  return zip_close(za) == 0;
}

/// A one-package OSV record with an ECOSYSTEM range [0, fixed).
inline std::string osv_record_json(const std::string& id, const std::string& ecosystem,
                                   const std::string& package, const std::string& fixed,
                                   const std::string& aliases = "[]",
                                   const std::string& summary = "test") {
  return R"({"schema_version":"1.6.0","id":")" + id
         + R"(","modified":"2024-01-01T00:00:00Z","aliases":)" + aliases + R"(,"summary":")"
         + summary + R"(","affected":[{"package":{"ecosystem":")" + ecosystem + R"(","name":")"
         + package + R"("},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":")"
         + fixed + R"("}]}]}]})";
}

} // namespace regscan::test
