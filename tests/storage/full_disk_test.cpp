// A full disk, for real: the store on a small tmpfs fills it. Writes fail
// with an error that says the disk is full, reads go on, nothing stored is
// lost or corrupted, and writes work again once space returns (the tmpfs is
// grown), without reopening the store. Needs root to mount a tmpfs; skipped
// elsewhere.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "test_util.hpp"

using namespace regscan;

namespace {

image_record image(int i) {
  image_record img;
  img.registry = "lab";
  img.repository = "app" + std::to_string(i);
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", i);
  img.digest = std::string("sha256:") + hex;
  img.key = img.registry + "/" + img.repository + "@" + img.digest;
  // Incompressible-looking filler so the disk fills after a few hundred records.
  for (int j = 0; j < 200; ++j)
    img.tags.push_back("t" + std::to_string(i * 7919 + j * 104729));
  return img;
}

class tmpfs_mount {
 public:
  explicit tmpfs_mount(const std::string& dir) : dir_(dir) {
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=2m") == 0;
    error_ = mounted_ ? "" : std::strerror(errno);
  }
  ~tmpfs_mount() {
    if (mounted_)
      ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool resize(const char* size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, (std::string("size=") + size).c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

} // namespace

TEST(full_disk, writes_fail_clearly_reads_go_on_and_writes_resume_when_space_returns) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "mounting a tmpfs needs root";
  test::temp_dir dir;
  tmpfs_mount fs{dir.path()};
  if (!fs.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs here: " << fs.error();

  auto opened = store::open(dir / "db");
  ASSERT_TRUE(opened) << opened.err().message;
  auto& db = **opened;
  registry_record reg;
  reg.name = "lab";
  reg.type = "docker-v2";
  ASSERT_TRUE(db.put_registry(reg));

  int stored = 0;
  std::string failure;
  for (; stored < 100000; ++stored) {
    auto ok = db.put_image(image(stored));
    if (!ok) {
      failure = ok.err().message;
      break;
    }
  }
  ASSERT_FALSE(failure.empty()) << "2 MiB never filled up";
  ASSERT_GT(stored, 10);
  EXPECT_NE(failure.find("disk is full"), std::string::npos) << failure;

  // Reads go on while the disk is full, and a second write fails the same way.
  EXPECT_TRUE(db.get_registry("lab"));
  auto first = db.get_image(image(0).key);
  ASSERT_TRUE(first) << first.err().message;
  EXPECT_EQ(first->tags, image(0).tags);
  auto again = db.put_image(image(stored));
  ASSERT_FALSE(again);
  EXPECT_NE(again.err().message.find("disk is full"), std::string::npos) << again.err().message;

  // Space returns: writes go through again within seconds (RocksDB's
  // recovery looks at the free space every few seconds), without a restart.
  ASSERT_TRUE(fs.resize("256m"));
  auto resumed = db.put_image(image(stored));
  for (int i = 0; !resumed && i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    resumed = db.put_image(image(stored));
  }
  ASSERT_TRUE(resumed) << resumed.err().message;
  auto images = db.list_images();
  ASSERT_TRUE(images) << images.err().message;
  EXPECT_EQ(images->size(), static_cast<size_t>(stored + 1));

  // Nothing was corrupted: a reopened store has every record written.
  opened->reset();
  auto reopened = store::open(dir / "db");
  ASSERT_TRUE(reopened) << reopened.err().message;
  auto after = (*reopened)->list_images();
  ASSERT_TRUE(after) << after.err().message;
  EXPECT_EQ(after->size(), static_cast<size_t>(stored + 1));
  EXPECT_TRUE((*reopened)->get_registry("lab"));
}
