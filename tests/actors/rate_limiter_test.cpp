#include "actors/rate_limiter.hpp"

#include <gtest/gtest.h>

using namespace regscan;
using namespace std::chrono_literals;

TEST(pull_window, unlimited_always_grants) {
  pull_window w{0};
  auto t = pull_window::clock::time_point{};
  for (int i = 0; i < 10000; ++i)
    EXPECT_EQ(w.try_acquire(t), 0);
}

TEST(pull_window, holds_the_rest_for_an_hour) {
  pull_window w{5};
  auto t0 = pull_window::clock::time_point{} + 100h;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(w.try_acquire(t0 + std::chrono::minutes{i}), 0);
  // The sixth pull waits until the first leaves the window.
  EXPECT_EQ(w.try_acquire(t0 + 10min), 50 * 60);
  EXPECT_EQ(w.try_acquire(t0 + 59min + 59s), 1);
  EXPECT_EQ(w.try_acquire(t0 + 60min), 0);
  // Now the second pull (t0 + 1 min) is the oldest.
  EXPECT_EQ(w.try_acquire(t0 + 60min + 30s), 30);
}

TEST(pull_window, refused_pulls_are_not_counted) {
  pull_window w{1};
  auto t0 = pull_window::clock::time_point{} + 1h;
  EXPECT_EQ(w.try_acquire(t0), 0);
  for (int i = 0; i < 100; ++i)
    EXPECT_GT(w.try_acquire(t0 + 1s), 0);
  EXPECT_EQ(w.try_acquire(t0 + 1h), 0);
}

TEST(rate_limit, only_the_offered_choices) {
  for (int ok : {0, 5, 10, 20, 50, 100, 500, 1000})
    EXPECT_TRUE(valid_rate_limit(ok)) << ok;
  for (int bad : {-1, 1, 6, 99, 1001, 100000})
    EXPECT_FALSE(valid_rate_limit(bad)) << bad;
}
