// SPDX-License-Identifier: MIT
#include "log/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::log {
namespace {

using std::chrono::milliseconds;
using Clock = RateLimiter::Clock;

int admitted(RateLimiter& limiter, int lines, Clock::time_point at,
             std::string_view event = "auth.failure") {
  int n = 0;
  for (int i = 0; i < lines; ++i) {
    n += limiter.admit("c2s", event, at) ? 1 : 0;
  }
  return n;
}

TEST(RateLimiter, AdmitsTheBurstThenSuppressesAndCounts) {
  RateLimiter limiter(10, 20);
  Clock::time_point t0{};
  EXPECT_EQ(admitted(limiter, 100, t0), 20);
  auto suppressed = limiter.take_suppressed();
  ASSERT_EQ(suppressed.size(), 1U);
  EXPECT_EQ(suppressed[0].component, "c2s");
  EXPECT_EQ(suppressed[0].event, "auth.failure");
  EXPECT_EQ(suppressed[0].count, 80U);
  // Counts are handed out once.
  EXPECT_TRUE(limiter.take_suppressed().empty());
}

TEST(RateLimiter, RefillsAtTheRateUpToTheBurst) {
  RateLimiter limiter(10, 20);
  Clock::time_point t0{};
  EXPECT_EQ(admitted(limiter, 20, t0), 20);
  EXPECT_EQ(admitted(limiter, 5, t0 + milliseconds(500)), 5);  // 0.5 s at 10/s: 5 tokens
  EXPECT_EQ(admitted(limiter, 5, t0 + milliseconds(500)), 0);
  // A long quiet time refills only up to the burst.
  EXPECT_EQ(admitted(limiter, 100, t0 + milliseconds(60'000)), 20);
  // A sustained flood gets the rate, not more: 10 s at 10/s.
  int total = 0;
  for (int ms = 60'100; ms <= 70'000; ms += 100) {
    total += admitted(limiter, 50, t0 + milliseconds(ms));
  }
  EXPECT_EQ(total, 100);
}

TEST(RateLimiter, KindsHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 2);
  Clock::time_point t0{};
  EXPECT_EQ(admitted(limiter, 10, t0, "auth.failure"), 2);
  EXPECT_EQ(admitted(limiter, 10, t0, "conn.accepted"), 2);   // a flood of one hides no other
  EXPECT_TRUE(limiter.admit("storage", "auth.failure", t0));  // nor one of another component
  auto suppressed = limiter.take_suppressed();
  ASSERT_EQ(suppressed.size(), 2U);
  EXPECT_EQ(suppressed[0].event, "auth.failure");
  EXPECT_EQ(suppressed[0].count, 8U);
  EXPECT_EQ(suppressed[1].event, "conn.accepted");
  EXPECT_EQ(suppressed[1].count, 8U);
}

TEST(RateLimiter, ZeroRateMeansNoLimit) {
  RateLimiter limiter(0, 1);
  EXPECT_EQ(admitted(limiter, 10'000, Clock::time_point{}), 10'000);
  EXPECT_TRUE(limiter.take_suppressed().empty());
}

TEST(RateLimiter, KindsBuiltFromDataShareOneBucketPastTheCap) {
  RateLimiter limiter(1, 1);
  Clock::time_point t0{};
  for (std::size_t i = 0; i < RateLimiter::kMaxKinds + 500; ++i) {
    limiter.admit("c2s", "kind" + std::to_string(i), t0);
  }
  auto suppressed = limiter.take_suppressed();
  ASSERT_EQ(suppressed.size(), 1U);  // the first extra kind took the shared bucket's one token
  EXPECT_EQ(suppressed[0].event, "(other)");
  EXPECT_EQ(suppressed[0].count, 499U);
}

}  // namespace
}  // namespace tern::log
