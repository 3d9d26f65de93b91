// SPDX-License-Identifier: MIT
#include "metrics/counter.h"

#include <gtest/gtest.h>

#include <array>
#include <thread>

namespace tern::metrics {
namespace {

constexpr std::array<std::uint64_t, 3> kBounds = {10, 100, 1000};

TEST(Histogram, ValuesGoToTheFirstBucketWhoseBoundHoldsThem) {
  Histogram h(kBounds);
  for (std::uint64_t v : {0, 10, 11, 100, 1000, 1001, 5000}) {
    h.observe(v);
  }
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.bounds, std::vector<std::uint64_t>(kBounds.begin(), kBounds.end()));
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{2, 2, 1, 2}));  // the last: above 1000
  EXPECT_EQ(s.count(), 7U);
  EXPECT_EQ(s.sum, 0U + 10 + 11 + 100 + 1000 + 1001 + 5000);
}

TEST(HistogramSnapshot, MergesBucketByBucket) {
  HistogramSnapshot a = empty_histogram(kBounds);
  a.observe(5);
  a.observe(50);
  HistogramSnapshot b = empty_histogram(kBounds);
  b.observe(50);
  b.observe(5000);
  a.merge(b);
  EXPECT_EQ(a.counts, (std::vector<std::uint64_t>{1, 2, 0, 1}));
  EXPECT_EQ(a.sum, 5105U);
  HistogramSnapshot none;
  none.merge(a);  // an empty snapshot takes the other's bounds
  EXPECT_EQ(none.counts, a.counts);
}

TEST(Counter, OneWriterAndAReaderOnAnotherThread) {
  Counter c;
  std::thread writer([&c] {
    for (int i = 0; i < 100000; ++i) {
      c.add();
    }
  });
  std::uint64_t last = 0;
  while (last < 100000) {  // never goes back, ends at the total
    std::uint64_t now = c.value();
    ASSERT_GE(now, last);
    last = now;
  }
  writer.join();
  EXPECT_EQ(c.value(), 100000U);
}

TEST(Gauge, GoesUpAndDown) {
  Gauge g;
  g.add(5);
  g.add(-7);
  EXPECT_EQ(g.value(), -2);
  g.set(40);
  EXPECT_EQ(g.value(), 40);
}

}  // namespace
}  // namespace tern::metrics
