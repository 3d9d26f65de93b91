// SPDX-License-Identifier: MIT
// The figures one tern-bench process gathers, in a form that merges across processes: counters
// and a latency histogram. The histogram is log-linear (HdrHistogram's idea, 16 sub-buckets per
// power of two, so any percentile is within about 6 % of the true value) over microseconds, with
// fixed memory and O(1) recording, because it records every message at hundreds of thousands a
// second. It travels between processes as text (to_text / from_text) on one line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::bench {

class Histogram {
 public:
  void record(std::uint64_t micros);
  void merge(const Histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value below which `fraction` (0..1) of the recorded values fall (an upper bucket bound).
  std::uint64_t percentile(double fraction) const;

  // "idx:count,idx:count,...;max" (empty buckets omitted).
  std::string to_text() const;
  // Adds what to_text() wrote; false when the text is malformed.
  bool add_text(std::string_view text);

 private:
  static constexpr std::size_t kBuckets = 16 + 60 * 16;
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

// Everything a run reports besides the server-side probe.
struct Stats {
  std::uint64_t sessions_wanted = 0;
  std::uint64_t sessions_up = 0;  // authenticated, bound, initial presence answered
  std::uint64_t sessions_failed = 0;
  double setup_seconds = 0;              // first connect to last session up
  std::uint64_t sent = 0;                // stanzas sent in the measured phase
  std::uint64_t received = 0;            // of those, received by their addressee (any time)
  std::uint64_t received_in_window = 0;  // received before the phase ended: the rate's numerator
  std::uint64_t expected = 0;            // deliveries expected (presence: sent × contacts)
  double cpu_setup_seconds = 0;          // this generator's own CPU time (user + sys) in the set-up
  double cpu_user_seconds = 0;           // and in the measured phase
  double cpu_sys_seconds = 0;
  Histogram logins;   // microseconds from connect to session up
  Histogram latency;  // microseconds from send to receipt

  void merge(const Stats& other);
  // One line of key=value words, for the coordinator (latency histograms included).
  std::string to_text() const;
  bool add_text(std::string_view line);
};

}  // namespace tern::bench
