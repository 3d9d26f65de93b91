// SPDX-License-Identifier: MIT
#include "core/loop/timeout_wheel.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace tern::core {
namespace {

struct Clock {
  std::map<TimeoutWheel::Id, std::uint64_t> deadlines;
  std::vector<TimeoutWheel::Id> expired;

  void advance(TimeoutWheel& wheel, std::uint64_t now) {
    wheel.advance(
        now,
        [&](TimeoutWheel::Id id) -> std::optional<std::uint64_t> {
          auto it = deadlines.find(id);
          return it == deadlines.end() ? std::nullopt : std::optional(it->second);
        },
        [&](TimeoutWheel::Id id) {
          expired.push_back(id);
          deadlines.erase(id);
        });
  }
};

TEST(TimeoutWheel, ExpiresAtTheDeadlineNotBefore) {
  TimeoutWheel wheel(100, 16);
  Clock clock;
  clock.deadlines[1] = 105;
  wheel.insert(1, 105);
  clock.advance(wheel, 104);
  EXPECT_TRUE(clock.expired.empty());
  clock.advance(wheel, 105);
  EXPECT_EQ(clock.expired, std::vector<TimeoutWheel::Id>{1});
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimeoutWheel, ActivityMovesTheDeadlineWithoutTouchingTheWheel) {
  TimeoutWheel wheel(0, 16);
  Clock clock;
  clock.deadlines[7] = 10;
  wheel.insert(7, 10);
  clock.advance(wheel, 8);
  clock.deadlines[7] = 30;  // the connection was active: only its own deadline changes
  clock.advance(wheel, 10);
  EXPECT_TRUE(clock.expired.empty());
  EXPECT_EQ(wheel.size(), 1U);  // re-inserted for 30 (beyond one turn of 16 slots)
  clock.advance(wheel, 29);
  EXPECT_TRUE(clock.expired.empty());
  clock.advance(wheel, 30);
  EXPECT_EQ(clock.expired, std::vector<TimeoutWheel::Id>{7});
}

TEST(TimeoutWheel, GoneEntriesAreDropped) {
  TimeoutWheel wheel(0, 8);
  Clock clock;
  wheel.insert(3, 2);  // never given a deadline: it is gone
  clock.advance(wheel, 5);
  EXPECT_TRUE(clock.expired.empty());
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimeoutWheel, ManyEntriesAndALongStall) {
  TimeoutWheel wheel(0, 64);
  Clock clock;
  for (TimeoutWheel::Id id = 1; id <= 10000; ++id) {
    clock.deadlines[id] = id % 300 + 1;
    wheel.insert(id, id % 300 + 1);
  }
  clock.advance(wheel, 150);
  std::size_t due_by_150 = 0;
  for (TimeoutWheel::Id id = 1; id <= 10000; ++id) {
    due_by_150 += (id % 300 + 1 <= 150) ? 1 : 0;
  }
  EXPECT_EQ(clock.expired.size(), due_by_150);
  clock.advance(wheel, 1000);  // the loop stalled: everything left is due
  EXPECT_EQ(clock.expired.size(), 10000U);
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimeoutWheel, PastDeadlineExpiresOnTheNextTick) {
  TimeoutWheel wheel(50, 8);
  Clock clock;
  clock.deadlines[9] = 10;
  wheel.insert(9, 10);
  clock.advance(wheel, 51);
  EXPECT_EQ(clock.expired, std::vector<TimeoutWheel::Id>{9});
}

}  // namespace
}  // namespace tern::core
