#pragma once
// The hostile image of issue 10: one package-lock.json reached through
// hundreds of symlinks and hardlinks, packed by GNU tar from a real tree.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/test_support.hpp"

namespace regscan::test {

namespace fs = std::filesystem;

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "regscan_linked_XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

inline bool run_sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

/// A package-lock.json (lockfile v3, as npm 9 writes it) of `count` packages
/// named `<prefix>-NNNN`; 2000 of them make about 96 KB.
inline std::string lockfile_v3(const std::string& prefix, int count) {
  std::string deps, packages;
  for (int i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%s-%04d", prefix.c_str(), i);
    auto version = "1." + std::to_string(i / 100) + "." + std::to_string(i % 100);
    if (i < 10)
      deps += std::string(deps.empty() ? "" : ",\n") + "        \"" + name + "\": \"^" + version + "\"";
    packages += ",\n    \"node_modules/" + std::string(name) + "\": {\n      \"version\": \"" + version
                + "\"\n    }";
  }
  // The project (a package of kind root) is named after the prefix.
  return "{\n  \"name\": \"" + prefix + "\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n"
         "  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"" + prefix + "\",\n"
         "      \"version\": \"1.0.0\",\n      \"dependencies\": {\n" + deps + "\n      }\n    }"
         + packages + "\n  }\n}\n";
}

constexpr int hostile_lock_packages = 2000;
constexpr int hostile_symlinks = 400; // 200 before the lockfile in the tar, 200 after
constexpr int hostile_hardlinks = 400;
constexpr int hostile_data_packages = 10;
constexpr int hostile_data_links = 50;

/// Builds the tree under `root`:
///   app/package-lock.json                      2000 packages "lib-NNNN"
///   a-links/sNNN/package-lock.json -> ../../app/package-lock.json  (200, before app)
///   links/sNNN/package-lock.json   -> /app/package-lock.json       (200, after app)
///   hard/hNNN/package-lock.json    hardlinks to app/package-lock.json (400)
///   b-links/NNN/package-lock.json  -> /data/lock.bin (50; the target's name is
///                                     wanted by no one: parsed through the links)
///   data/lock.bin                  10 packages "other-NNNN"
/// and packs it with GNU tar (sorted, gzip) into `tgz`. False on failure.
inline bool make_hostile_layer(const fs::path& root, const fs::path& tgz, bool with_os = false) {
  auto lock = root / "app/package-lock.json";
  spit(lock, lockfile_v3("lib", hostile_lock_packages));
  spit(root / "data/lock.bin", lockfile_v3("other", hostile_data_packages));
  if (with_os)
    spit(root / "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
  char n[16];
  for (int i = 0; i < hostile_symlinks / 2; ++i) {
    std::snprintf(n, sizeof n, "s%03d", i);
    fs::create_directories(root / "a-links" / n);
    fs::create_symlink("../../app/package-lock.json", root / "a-links" / n / "package-lock.json");
    fs::create_directories(root / "links" / n);
    fs::create_symlink("/app/package-lock.json", root / "links" / n / "package-lock.json");
  }
  for (int i = 0; i < hostile_hardlinks; ++i) {
    std::snprintf(n, sizeof n, "h%03d", i);
    fs::create_directories(root / "hard" / n);
    fs::create_hard_link(lock, root / "hard" / n / "package-lock.json");
  }
  for (int i = 0; i < hostile_data_links; ++i) {
    std::snprintf(n, sizeof n, "%03d", i);
    fs::create_directories(root / "b-links" / n);
    fs::create_symlink("/data/lock.bin", root / "b-links" / n / "package-lock.json");
  }
  return run_sh("tar --sort=name --numeric-owner -C '" + root.string() + "' -czf '" + tgz.string()
                + "' .");
}

} // namespace regscan::test
