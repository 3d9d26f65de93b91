// SPDX-License-Identifier: MIT
#include "metrics/counter.h"

#include <cassert>

namespace tern::metrics {

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  if (other.counts.empty()) {
    return;
  }
  if (counts.empty()) {
    *this = other;
    return;
  }
  assert(bounds == other.bounds);
  for (std::size_t i = 0; i < counts.size() && i < other.counts.size(); ++i) {
    counts[i] += other.counts[i];
  }
  sum += other.sum;
}

void HistogramSnapshot::observe(std::uint64_t value) {
  std::size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) {
    ++i;
  }
  counts[i] += 1;
  sum += value;
}

Histogram::Histogram(std::span<const std::uint64_t> bounds) : bounds_(bounds) {
  assert(bounds.size() <= kMaxBuckets);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds.assign(bounds_.begin(), bounds_.end());
  s.counts.reserve(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts.push_back(counts_[i].value());
  }
  s.sum = sum_.value();
  return s;
}

HistogramSnapshot empty_histogram(std::span<const std::uint64_t> bounds) {
  HistogramSnapshot s;
  s.bounds.assign(bounds.begin(), bounds.end());
  s.counts.assign(bounds.size() + 1, 0);
  return s;
}

}  // namespace tern::metrics
