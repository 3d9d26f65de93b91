// SPDX-License-Identifier: MIT
#include "core/server/alerts.h"

#include <gtest/gtest.h>

namespace tern::core {
namespace {

AlertInputs quiet(double now_s) {
  AlertInputs in;
  in.disk_free = std::uint64_t{10} << 30;
  in.now_s = now_s;
  return in;
}

TEST(Alerts, FireAboveTheirThresholdAndClearBelow) {
  Alerts alerts(AlertThresholds{});
  alerts.check(quiet(0));
  EXPECT_FALSE(alerts.firing(Alerts::kSessionOutput));
  AlertInputs in = quiet(10);
  in.max_output_bytes = (8 << 20) + 1;
  in.max_lag_us = 501000;  // 501 ms
  alerts.check(in);
  EXPECT_TRUE(alerts.firing(Alerts::kSessionOutput));
  EXPECT_TRUE(alerts.firing(Alerts::kLoopLag));
  EXPECT_FALSE(alerts.firing(Alerts::kWriterQueue));
  alerts.check(quiet(20));
  EXPECT_FALSE(alerts.firing(Alerts::kSessionOutput));
  EXPECT_FALSE(alerts.firing(Alerts::kLoopLag));
}

TEST(Alerts, DiskFreeFiresBelowItsThreshold) {
  Alerts alerts(AlertThresholds{});
  AlertInputs in = quiet(0);
  in.disk_free = (std::uint64_t{1} << 30) - 1;
  alerts.check(in);
  EXPECT_TRUE(alerts.firing(Alerts::kDiskFree));
}

TEST(Alerts, RatesAndMeansComeFromTheDifferenceSinceTheLastCheck) {
  AlertThresholds t;
  t.login_failures_per_minute = 60;
  t.commit_ms = 100;
  Alerts alerts(t);
  AlertInputs in = quiet(0);
  in.login_failures = 1000;  // before: not a rate
  in.commits = 50;
  in.commit_micros = std::uint64_t{50} * 900000;  // slow, but before the first check
  alerts.check(in);
  EXPECT_FALSE(alerts.firing(Alerts::kLoginFailures));
  EXPECT_FALSE(alerts.firing(Alerts::kCommitTime));
  in.now_s = 30;
  in.login_failures += 31;  // 62 a minute
  in.commits += 10;         // 10 commits of 150 ms
  in.commit_micros += std::uint64_t{10} * 150000;
  alerts.check(in);
  EXPECT_TRUE(alerts.firing(Alerts::kLoginFailures));
  EXPECT_TRUE(alerts.firing(Alerts::kCommitTime));
  in.now_s = 60;
  in.login_failures += 29;  // 58 a minute; no commit
  alerts.check(in);
  EXPECT_FALSE(alerts.firing(Alerts::kLoginFailures));
  EXPECT_FALSE(alerts.firing(Alerts::kCommitTime));
}

TEST(Alerts, ZeroTurnsOneOff) {
  AlertThresholds t;
  t.session_output_bytes = 0;
  Alerts alerts(t);
  AlertInputs in = quiet(0);
  in.max_output_bytes = std::uint64_t{1} << 40;
  alerts.check(in);
  EXPECT_FALSE(alerts.enabled(Alerts::kSessionOutput));
  EXPECT_FALSE(alerts.firing(Alerts::kSessionOutput));
}

}  // namespace
}  // namespace tern::core
