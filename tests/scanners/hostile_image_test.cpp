// Issue 10 item 2: a 300 KB image of one lockfile reached through 400
// symlinks and 400 hardlinks ran the analyzer out of memory (802,000
// packages, 583 MB). The real regscan-analyze binary must list the lockfile's
// packages once and stay small.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/scanners/linked_image_util.hpp"

namespace regscan {
namespace {

using namespace regscan::test;

struct child_run {
  int status = -1;
  long max_rss_kib = 0;
  std::string out;
};

// Runs `argv` with stdout to `out_file`; its peak RSS from wait4.
child_run run_child(const std::vector<std::string>& argv, const fs::path& out_file) {
  child_run r;
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
      ::_exit(126);
    ::dup2(fd, 1);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (pid < 0)
    return r;
  struct rusage usage {};
  if (::wait4(pid, &r.status, 0, &usage) == pid)
    r.max_rss_kib = usage.ru_maxrss;
  r.out = slurp(out_file);
  return r;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(hostile_image, lockfile_behind_800_links_is_listed_once_in_little_memory) {
  scratch_dir dir;
  auto layer = dir.path / "layer.tar.gz";
  ASSERT_TRUE(make_hostile_layer(dir.path / "rootfs", layer));
  // Small on the wire, as the issue says: about 300 KB of gzip at most.
  EXPECT_LT(fs::file_size(layer), 400u * 1024);

  auto r = run_child({REGSCAN_ANALYZE, layer.string()}, dir.path / "out.json");
  ASSERT_TRUE(WIFEXITED(r.status)) << r.status;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.out.substr(0, 2000); // complete
#ifndef REGSCAN_SANITIZED // ASan's shadow memory and quarantine make peak RSS meaningless
  EXPECT_LT(r.max_rss_kib, 64 * 1024) << "peak RSS of regscan-analyze, KiB";
#endif

  // Every package once: the lockfile's 2000 and the 10 reached only through
  // links, and each of the two lockfiles' own project (kind root).
  auto total = hostile_lock_packages + hostile_data_packages + 2;
  EXPECT_NE(r.out.find("\"package_count\":" + std::to_string(total)), std::string::npos)
    << r.out.substr(0, 2000);
  EXPECT_EQ(count(r.out, "\"name\":\"lib-0000\""), 1u);
  EXPECT_EQ(count(r.out, "\"name\":\"lib-1999\""), 1u);
  EXPECT_EQ(count(r.out, "\"name\":\"other-0009\""), 1u);
  EXPECT_EQ(count(r.out, "\"file\":\"app/package-lock.json\""),
            static_cast<size_t>(hostile_lock_packages) + 2); // + its root, its linked_files entry
  EXPECT_EQ(count(r.out, "\"kind\":\"root\""), 2u);
  // The paths that reach it are listed, once each.
  for (std::string path : {"a-links/s000/package-lock.json", "links/s199/package-lock.json",
                           "hard/h000/package-lock.json", "hard/h399/package-lock.json",
                           "b-links/049/package-lock.json"})
    EXPECT_EQ(count(r.out, "\"" + path + "\""), 1u) << path;
}

} // namespace
} // namespace regscan
