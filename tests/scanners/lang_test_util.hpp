#pragma once
// Helpers for the language cataloger tests: read real files, run the
// reference tool, walk a directory as the layer walk would.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "scanners/cataloger.hpp"

namespace regscan::lang_test {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string s(in ? static_cast<size_t>(in.tellg()) : 0, '\0');
  in.seekg(0);
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

inline std::string testdata(const std::string& rel) {
  return std::string(REGSCAN_SOURCE_DIR) + "/scanners/testdata/" + rel;
}

/// Runs `cmd` through the shell; its stdout, and whether it exited 0.
inline bool run(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return false;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  return pclose(p) == 0;
}

inline bool have(const std::string& tool) {
  std::string ignored;
  return run("command -v " + tool + " >/dev/null 2>&1", ignored);
}

/// Hands every regular file under `root` that `c` wants to `c`, with the path
/// relative to `prefix_root` (as the layer walk names it: no leading '/').
inline void walk(const cataloger& c, const std::string& root, const std::string& prefix_root,
                 inventory& out, const std::string& layer = "sha256:layer") {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec)
      break;
    if (!it->is_regular_file(ec) || it->is_symlink(ec))
      continue;
    auto rel = fs::relative(it->path(), prefix_root, ec).generic_string();
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0)
      continue;
    bool wanted = c.wants(rel)
                  || c.wants_executable(rel, st.st_mode & 07777, static_cast<uint64_t>(st.st_size));
    if (wanted)
      c.parse(rel, slurp(it->path().string()), layer, os_info{}, out);
  }
}

/// "name@version" of every package.
inline std::set<std::string> names(const inventory& inv) {
  std::set<std::string> s;
  for (const auto& p : inv.packages)
    s.insert(p.name + "@" + p.version);
  return s;
}

} // namespace regscan::lang_test
