#include "storage/secret_box.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace regscan {
namespace {

using test::temp_dir;

mode_t mode_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return 0;
  return st.st_mode & 07777;
}

TEST(secret_box, creates_a_0600_key_and_round_trips) {
  temp_dir dir;
  auto key = dir / "secret.key";
  auto old_umask = ::umask(0); // a permissive umask must not widen the mode
  auto box = secret_box::open_or_create(key);
  ::umask(old_umask);
  ASSERT_TRUE(box) << box.err().message;
  EXPECT_EQ(mode_of(key), 0600u);
  struct stat st;
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 32);

  for (std::string plain : {std::string{"hunter2"}, std::string{}, std::string(1000, 'x'),
                            std::string{"p\0w", 3}}) {
    auto sealed = box->seal(plain);
    ASSERT_TRUE(sealed);
    auto opened = box->open(*sealed);
    ASSERT_TRUE(opened) << opened.err().message;
    EXPECT_EQ(*opened, plain);
  }
  // A fresh nonce every time.
  EXPECT_NE(*box->seal("same"), *box->seal("same"));

  // Opening again reads the same key.
  auto again = secret_box::open_or_create(key);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->open(*box->seal("pw")), "pw");
}

TEST(secret_box, detects_tampering_and_wrong_keys) {
  temp_dir dir;
  auto box = secret_box::open_or_create(dir / "a.key");
  auto other = secret_box::open_or_create(dir / "b.key");
  ASSERT_TRUE(box);
  ASSERT_TRUE(other);
  auto sealed = box->seal("registry password");
  ASSERT_TRUE(sealed);
  const std::string msg = "cannot decrypt secret: wrong key or corrupted data";

  auto wrong = other->open(*sealed);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.err().message, msg);

  // Flip one bit in each base64 character position (nonce, ciphertext, tag).
  for (std::size_t i = 0; i + 2 < sealed->size(); ++i) {
    std::string t = *sealed;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto r = box->open(t);
    EXPECT_FALSE(r) << "tampered at " << i;
  }
  EXPECT_EQ(box->open("not base64!").err().message, msg);
  EXPECT_EQ(box->open("").err().message, msg);
  EXPECT_EQ(box->open("AAAA").err().message, msg);
  EXPECT_EQ(box->open(sealed->substr(0, sealed->size() - 4)).err().message, msg);
}

TEST(secret_box, refuses_a_group_or_world_readable_key) {
  temp_dir dir;
  auto key = dir / "secret.key";
  ASSERT_TRUE(secret_box::open_or_create(key));
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  auto box = secret_box::open_or_create(key);
  ASSERT_FALSE(box);
  EXPECT_NE(box.err().message.find("mode 0644"), std::string::npos) << box.err().message;
  EXPECT_NE(box.err().message.find(key), std::string::npos);
}

TEST(secret_box, refuses_a_key_of_the_wrong_size) {
  temp_dir dir;
  auto key = dir / "short.key";
  int fd = ::open(key.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  ::close(fd);
  auto box = secret_box::open_or_create(key);
  ASSERT_FALSE(box);
  EXPECT_NE(box.err().message.find("has 10 bytes, expected 32"), std::string::npos)
    << box.err().message;
}

// A daemon that runs as PID 1 in a container and crashed while creating its
// key left a temporary behind; the next start has the same pid and must still
// create the key. Creation leaves no temporary of its own.
TEST(secret_box, a_stale_temporary_of_this_pid_does_not_stop_creation) {
  temp_dir dir;
  auto key = dir / "secret.key";
  auto stale = key + ".tmp." + std::to_string(::getpid());
  int fd = ::open(stale.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "half a k", 8), 8);
  ::close(fd);

  auto box = secret_box::open_or_create(key);
  ASSERT_TRUE(box) << box.err().message;
  EXPECT_EQ(mode_of(key), 0600u);
  struct stat st;
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 32);
  std::set<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"secret.key", "secret.key.tmp." + std::to_string(::getpid())}));

  // The key it wrote is the one read back.
  auto again = secret_box::open_or_create(key);
  ASSERT_TRUE(again) << again.err().message;
  EXPECT_EQ(*again->open(*box->seal("pw")), "pw");
}

TEST(secret_box, reports_an_unusable_path) {
  auto box = secret_box::open_or_create("/nonexistent-dir-regscan/secret.key");
  ASSERT_FALSE(box);
  EXPECT_NE(box.err().message.find("/nonexistent-dir-regscan"), std::string::npos);
}

} // namespace
} // namespace regscan
