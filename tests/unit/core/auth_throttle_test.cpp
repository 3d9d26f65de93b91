// SPDX-License-Identifier: MIT
// AuthThrottle: lockouts per account and per address at their thresholds, doubling to the
// maximum, a success clearing the account only, and peer addresses split from their ports.
#include "core/c2s/auth_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::core::c2s {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AuthThrottle, AccountLockedAtTheThresholdForDoublingTimes) {
  AuthThrottle throttle({3, 100, seconds(5)});
  auto t = AuthThrottle::Clock::time_point{} + seconds(1000);
  throttle.failed("juliet", "192.0.2.1", t);
  throttle.failed("juliet", "192.0.2.1", t);
  EXPECT_EQ(throttle.locked_for("juliet", "192.0.2.1", t), milliseconds(0));
  throttle.failed("juliet", "192.0.2.1", t);
  EXPECT_EQ(throttle.locked_for("juliet", "192.0.2.9", t), seconds(2));
  EXPECT_EQ(throttle.locked_for("romeo", "192.0.2.1", t), milliseconds(0));  // address below 100
  throttle.failed("juliet", "192.0.2.1", t);
  EXPECT_EQ(throttle.locked_for("juliet", "", t), seconds(4));
  throttle.failed("juliet", "192.0.2.1", t);
  EXPECT_EQ(throttle.locked_for("juliet", "", t), seconds(5));  // the maximum
  EXPECT_EQ(throttle.locked_for("juliet", "", t + seconds(5)), milliseconds(0));
}

TEST(AuthThrottle, AddressLockedAcrossAccounts) {
  AuthThrottle throttle({100, 2, seconds(300)});
  auto t = AuthThrottle::Clock::time_point{} + seconds(1000);
  throttle.failed("a", "2001:db8::1", t);
  throttle.failed("b", "2001:db8::1", t);
  EXPECT_EQ(throttle.locked_for("c", "2001:db8::1", t), seconds(2));
  EXPECT_EQ(throttle.locked_for("c", "2001:db8::2", t), milliseconds(0));
}

TEST(AuthThrottle, SuccessClearsTheAccountNotTheAddress) {
  AuthThrottle throttle({2, 2, seconds(300)});
  auto t = AuthThrottle::Clock::time_point{} + seconds(1000);
  throttle.failed("juliet", "192.0.2.1", t);
  throttle.succeeded("juliet");
  throttle.failed("juliet", "192.0.2.1", t);
  // The account's count started again (1 of 2); the address's did not (2 of 2).
  EXPECT_EQ(throttle.locked_for("juliet", "198.51.100.1", t), milliseconds(0));
  EXPECT_EQ(throttle.locked_for("juliet", "192.0.2.1", t), seconds(2));
}

TEST(AuthThrottle, StaysBoundedUnderASprayOfNames) {
  AuthThrottle throttle({1, 1000000, seconds(300)});
  auto t = AuthThrottle::Clock::time_point{} + seconds(1000);
  for (std::size_t i = 0; i < AuthThrottle::kMaxEntries; ++i) {
    throttle.failed("user" + std::to_string(i), "", t);  // each locked out at once
  }
  EXPECT_EQ(throttle.locked_for("user0", "", t), seconds(2));
  throttle.failed("one-more", "", t);  // full of live lockouts: all are forgotten
  EXPECT_EQ(throttle.locked_for("user0", "", t), milliseconds(0));
  EXPECT_EQ(throttle.locked_for("one-more", "", t), seconds(2));
}

TEST(AuthThrottle, AddressOfAPeer) {
  EXPECT_EQ(address_of("203.0.113.7:5222"), "203.0.113.7");
  EXPECT_EQ(address_of("[2001:db8::1]:5222"), "2001:db8::1");
  EXPECT_EQ(address_of(""), "");
}

}  // namespace
}  // namespace tern::core::c2s
