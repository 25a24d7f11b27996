// The decompressor's memory bound for zstd: a frame whose window is larger
// than max_zstd_window_log is refused as a limit, one at the limit decodes.
// Frames are made by the real zstd tool.
#include "scanners/layer/decompressor.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/test_support.hpp"

namespace regscan {
namespace {

// Compresses through a pipe, so zstd does not know the input size and keeps
// the window that --long asks for in the frame header.
std::string zstd_long(int window_log, const std::string& data) {
  auto input = std::filesystem::temp_directory_path()
               / ("regscan-zstd-window-" + std::to_string(::getpid()));
  test::spit(input, data);
  std::string out;
  auto cmd = "cat '" + input.string() + "' | zstd -q -c --long=" + std::to_string(window_log);
  if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
      out.append(buf, n);
    ::pclose(pipe);
  }
  std::filesystem::remove(input);
  return out;
}

expected<std::string> decompress_all(const std::string& in) {
  decompressor d(1ull << 32);
  std::string out;
  decompressor::sink sink = [&](const uint8_t* p, size_t n) -> expected<void> {
    out.append(reinterpret_cast<const char*>(p), n);
    return {};
  };
  auto r = d.feed(reinterpret_cast<const uint8_t*>(in.data()), in.size(), sink);
  if (r)
    r = d.finish(sink);
  if (!r)
    return r.err();
  return out;
}

TEST(decompressor_limits, zstd_window_over_the_limit_is_a_limit_error) {
  if (!test::have("zstd"))
    GTEST_SKIP() << "zstd tool not available";
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7)
    data[i] = static_cast<char>('a' + i % 26);

  auto at_limit = zstd_long(decompressor::max_zstd_window_log, data);
  ASSERT_FALSE(at_limit.empty());
  auto ok = decompress_all(at_limit);
  ASSERT_TRUE(ok) << ok.err().message;
  EXPECT_EQ(*ok, data);

  auto over = zstd_long(decompressor::max_zstd_window_log + 1, data);
  ASSERT_FALSE(over.empty());
  auto refused = decompress_all(over);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, errc::limit) << refused.err().message;
  EXPECT_NE(refused.err().message.find("window"), std::string::npos) << refused.err().message;
}

TEST(decompressor_limits, the_size_limit_and_the_sink_s_own_error_keep_their_codes) {
  std::string data(4096, 'x');
  decompressor small(1000);
  auto bomb = small.feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                         [](const uint8_t*, size_t) -> expected<void> { return {}; });
  ASSERT_FALSE(bomb);
  EXPECT_EQ(bomb.err().code, errc::limit) << bomb.err().message;

  decompressor d(1ull << 32);
  auto cancelled = d.feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                          [](const uint8_t*, size_t) -> expected<void> {
                            return make_error(errc::cancelled, "scan cancelled");
                          });
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.err().code, errc::cancelled);
  EXPECT_EQ(cancelled.err().message, "scan cancelled");
}

} // namespace
} // namespace regscan
