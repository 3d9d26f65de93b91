// SPDX-License-Identifier: MIT
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <array>

namespace tern::metrics {
namespace {

TEST(Exposition, FamilyHeaderAndLabelledSamples) {
  Exposition out;
  out.family("tern_logins_total", "Logins.\nBy mechanism \\ kind.", Type::Counter);
  out.sample("tern_logins_total", {{"mechanism", "PLAIN"}}, 3);
  out.sample("tern_logins_total", {{"mechanism", "a\"b\\c\nd"}, {"worker", "1"}}, 0.5);
  out.sample("tern_logins_total", {}, 12345678901234.0);
  EXPECT_EQ(out.take(),
            "# HELP tern_logins_total Logins.\\nBy mechanism \\\\ kind.\n"
            "# TYPE tern_logins_total counter\n"
            "tern_logins_total{mechanism=\"PLAIN\"} 3\n"
            "tern_logins_total{mechanism=\"a\\\"b\\\\c\\nd\",worker=\"1\"} 0.5\n"
            "tern_logins_total 12345678901234\n");
}

TEST(Exposition, HistogramIsCumulativeWithInfSumAndCount) {
  constexpr std::array<std::uint64_t, 2> kBounds = {500, 250000};  // µs
  HistogramSnapshot h = empty_histogram(kBounds);
  h.observe(100);
  h.observe(1000);
  h.observe(300000);
  Exposition out;
  out.histogram("tern_lag_seconds", {{"worker", "0"}}, h, 1e6);
  EXPECT_EQ(out.take(),
            "tern_lag_seconds_bucket{worker=\"0\",le=\"0.0005\"} 1\n"
            "tern_lag_seconds_bucket{worker=\"0\",le=\"0.25\"} 2\n"
            "tern_lag_seconds_bucket{worker=\"0\",le=\"+Inf\"} 3\n"
            "tern_lag_seconds_sum{worker=\"0\"} 0.3011\n"
            "tern_lag_seconds_count{worker=\"0\"} 3\n");
}

TEST(FormatValue, SpecialValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(0.1), "0.1");
}

}  // namespace
}  // namespace tern::metrics
