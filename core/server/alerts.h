// SPDX-License-Identifier: MIT
// Alerts: thresholds from [alerts] checked every few seconds against the server's figures (the
// same ones /metrics shows). Crossing one logs a warning (alert.firing) and sets
// tern_alert_firing{alert=…} to 1; falling back below logs alert.cleared and sets it to 0. Pure
// logic: the server gathers the inputs (metrics.cpp) and hands them in, so tests need no server.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace tern::core {

// A threshold of 0 turns its alert off.
struct AlertThresholds {
  std::uint64_t session_output_bytes = 8 << 20;  // the largest output queue of one session
  std::uint64_t session_unacked_stanzas = 2000;  // the most unacknowledged stanzas of one
  std::uint64_t loop_lag_ms = 500;               // the worst loop lag since the last check
  std::uint64_t writer_queue = 10000;            // writes waiting for the store's writer
  std::uint64_t commit_ms = 500;                 // mean commit time since the last check
  std::uint64_t disk_free_bytes = std::uint64_t{1} << 30;  // free space on the store's disk
  std::uint64_t login_failures_per_minute = 600;  // wrong credentials, all accounts together
};

// What one check sees. The counters (commits, login failures) are totals since the start: the
// alerts take the difference from the check before.
struct AlertInputs {
  std::uint64_t max_output_bytes = 0;
  std::uint64_t max_unacked = 0;
  std::uint64_t max_lag_us = 0;  // since the last check (each worker resets its own)
  std::uint64_t writer_queue = 0;
  std::uint64_t commits = 0;
  std::uint64_t commit_micros = 0;  // their total time
  std::uint64_t disk_free = 0;
  std::uint64_t login_failures = 0;
  double now_s = 0;  // a steady clock, in seconds
};

class Alerts {
 public:
  enum Id : std::uint8_t {
    kSessionOutput,
    kSessionUnacked,
    kLoopLag,
    kWriterQueue,
    kCommitTime,
    kDiskFree,
    kLoginFailures,
    kCount
  };
  // The names in [alerts], in the log and in tern_alert_firing's label.
  static constexpr std::array<std::string_view, kCount> kNames = {"session_output_bytes",
                                                                  "session_unacked_stanzas",
                                                                  "loop_lag_ms",
                                                                  "writer_queue",
                                                                  "commit_ms",
                                                                  "disk_free_bytes",
                                                                  "login_failures_per_minute"};

  explicit Alerts(const AlertThresholds& thresholds) { set_thresholds(thresholds); }
  // New thresholds (a reload), from any thread; the next check uses them.
  void set_thresholds(const AlertThresholds& thresholds);

  // One check: logs what started or stopped firing.
  void check(const AlertInputs& in);
  // Whether `id` is on (has a threshold) and firing; thread-safe (read by /metrics).
  bool enabled(Id id) const { return threshold(id) != 0; }
  bool firing(Id id) const { return firing_[id].load(std::memory_order_relaxed); }
  std::uint64_t threshold(Id id) const;

 private:
  std::array<std::atomic<std::uint64_t>, kCount> thresholds_{};
  std::array<std::atomic<bool>, kCount> firing_{};
  bool first_ = true;
  AlertInputs last_;
};

}  // namespace tern::core
