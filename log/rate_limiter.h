// SPDX-License-Identifier: MIT
// RateLimiter: a token bucket per (component, event), so that a flood of one kind of line (a
// scanner failing logins, a client sending garbage) cannot fill the disk or hide everything else.
// A bucket holds `burst` tokens and gains `per_second` a second; a line takes one or is
// suppressed. Suppressed lines are counted, and take_suppressed() hands the counts out (the
// writer turns them into one "suppressed N lines" line per second and kind). Thread-safe; the
// clock is passed in, so tests need no sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tern::log {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // per_second == 0: no limit at all.
  RateLimiter(double per_second, double burst);

  // Whether a line of this kind may be written now (then it took a token).
  bool admit(std::string_view component, std::string_view event, Clock::time_point now);

  struct Suppressed {
    std::string component;
    std::string event;
    std::uint64_t count = 0;
  };
  // The kinds that had lines suppressed since the last call, with how many; resets the counts.
  std::vector<Suppressed> take_suppressed();

  // Kinds tracked at most; event names are constants, so this is never reached unless one is
  // built from data, and then the extra kinds share one bucket instead of growing the map.
  static constexpr std::size_t kMaxKinds = 1024;

 private:
  struct Bucket {
    std::string component;
    std::string event;
    double tokens = 0;
    Clock::time_point last;
    std::uint64_t suppressed = 0;
  };

  double per_second_;
  double burst_;
  std::mutex mutex_;
  std::string key_;  // scratch, under the mutex
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tern::log
