#include "actors/rate_limiter.hpp"
#include "daemon/registry_form.hpp"

#include <gtest/gtest.h>

using namespace regscan;
using namespace std::chrono_literals;

TEST(pull_window, unlimited_always_grants) {
  pull_window w{0};
  for (int i = 0; i < 10000; ++i)
    EXPECT_EQ(w.try_acquire(1700000000), 0);
  EXPECT_LE(w.pulls().size(), 10000u);
}

TEST(pull_window, holds_the_rest_for_an_hour) {
  pull_window w{5};
  const int64_t t0 = 1700000000;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(w.try_acquire(t0 + 60 * i), 0);
  // The sixth pull waits until the first leaves the window.
  EXPECT_EQ(w.try_acquire(t0 + 600), t0 + 3600);
  EXPECT_EQ(w.try_acquire(t0 + 3599), t0 + 3600);
  EXPECT_EQ(w.try_acquire(t0 + 3600), 0);
  // Now the second pull (t0 + 1 min) is the oldest.
  EXPECT_EQ(w.try_acquire(t0 + 3630), t0 + 3660);
}

TEST(pull_window, refused_pulls_are_not_counted) {
  pull_window w{1};
  const int64_t t0 = 1700000000;
  EXPECT_EQ(w.try_acquire(t0), 0);
  for (int i = 0; i < 100; ++i)
    EXPECT_GT(w.try_acquire(t0 + 1), 0);
  EXPECT_EQ(w.pulls().size(), 1u);
  EXPECT_EQ(w.try_acquire(t0 + 3600), 0);
}

TEST(pull_window, a_lower_limit_keeps_the_window) {
  const int64_t t0 = 1700000000;
  pull_window w{10, {t0, t0 + 1, t0 + 2, t0 + 3, t0 + 4, t0 + 5}};
  w.set_limit(5);
  EXPECT_EQ(w.try_acquire(t0 + 10), t0 + 1 + 3600); // 6 in the window, 5 allowed
  w.set_limit(20);
  EXPECT_EQ(w.try_acquire(t0 + 10), 0);
}

TEST(rate_limit, only_the_offered_choices) {
  for (int ok : {0, 5, 10, 20, 50, 100, 500, 1000})
    EXPECT_TRUE(valid_rate_limit(ok)) << ok;
  for (int bad : {-1, 1, 6, 99, 1001, 100000})
    EXPECT_FALSE(valid_rate_limit(bad)) << bad;
}
