// SPDX-License-Identifier: MIT
// Counter, Gauge and Histogram: figures one thread updates on its hot path and any thread reads
// when /metrics is scraped (docs/operations.md). Each has exactly one writer (its worker, or the
// store's writer thread), so an update is a relaxed load and a relaxed store: on x86-64 and
// ARM64 a plain add, no locked instruction, no fence, no lock. A reader on another thread sees a
// recent value, never a torn one, and there is no data race for the sanitizers to report. Two
// threads must never update the same figure: give each its own and sum them when reading.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tern::metrics {

class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A level that goes up and down (queued items), with one writer.
class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// What a histogram held when it was read, mergeable across threads. `counts` are per bucket
// (not cumulative); the last bucket is everything above the last bound (+Inf).
struct HistogramSnapshot {
  std::vector<std::uint64_t> bounds;  // upper bounds, inclusive, ascending
  std::vector<std::uint64_t> counts;  // bounds.size() + 1 entries
  std::uint64_t sum = 0;

  std::uint64_t count() const {
    std::uint64_t total = 0;
    for (std::uint64_t c : counts) {
      total += c;
    }
    return total;
  }
  // Adds `other`, which must have the same bounds (or be empty).
  void merge(const HistogramSnapshot& other);
  // A value recorded directly (gauges computed at scrape: one per session).
  void observe(std::uint64_t value);
};

// Fixed bounds given at construction (at most kMaxBuckets), in the unit of the values observed
// (microseconds, bytes, items); a value goes into the first bucket whose bound is >= it.
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 20;
  explicit Histogram(std::span<const std::uint64_t> bounds);

  void observe(std::uint64_t value) {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) {
      ++i;
    }
    counts_[i].add();
    sum_.add(value);
  }
  HistogramSnapshot snapshot() const;
  std::span<const std::uint64_t> bounds() const { return bounds_; }

 private:
  std::span<const std::uint64_t> bounds_;
  std::array<Counter, kMaxBuckets + 1> counts_;
  Counter sum_;
};

// An empty snapshot with `bounds` (for gauges observed at scrape time).
HistogramSnapshot empty_histogram(std::span<const std::uint64_t> bounds);

// Common bounds. Latencies in microseconds: 50 µs to 10 s.
inline constexpr std::array<std::uint64_t, 14> kLatencyMicros = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 10000000};
// Sizes in bytes: 0 (empty) to 16 MiB.
inline constexpr std::array<std::uint64_t, 10> kBytes = {0,     256,    1024,    4096,    16384,
                                                         65536, 262144, 1048576, 4194304, 16777216};
// Counts of items: 0 to 10000.
inline constexpr std::array<std::uint64_t, 10> kItems = {0, 1, 2, 5, 10, 50, 100, 500, 1000, 10000};

}  // namespace tern::metrics
