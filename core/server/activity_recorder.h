// SPDX-License-Identifier: MIT
// ActivityRecorder: WhatsApp's "wsar", for Tern — a compact line a second of the server's key
// figures written to a file for later analysis ([activity], off by default; docs/operations.md).
// A thread of its own samples the figures (single-writer counters: reading them takes no lock and
// stops no worker), writes the line and rotates the file past max_bytes, keeping `keep` old
// ones (FILE.1 newest). A write that fails is logged once and retried with the next line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tern::core {

// Totals since the start (the recorder turns them into rates) and levels now.
struct ActivitySample {
  std::vector<std::uint64_t> worker_sessions;  // open client connections, per worker
  std::uint64_t stanzas_in = 0;
  std::uint64_t stanzas_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t logins = 0;
  std::uint64_t login_failures = 0;
  std::uint64_t lag_sum_us = 0;  // loop-lag probes, every worker
  std::uint64_t lag_count = 0;
  std::uint64_t writer_queue = 0;
  std::uint64_t commits = 0;
  std::uint64_t commit_sum_us = 0;
};

struct ActivityOptions {
  std::string file;  // empty: off
  std::uint64_t max_bytes = 64 << 20;
  unsigned keep = 5;
};

class ActivityRecorder {
 public:
  ActivityRecorder(ActivityOptions options, std::function<ActivitySample()> sample);
  ~ActivityRecorder();  // stops the thread
  ActivityRecorder(const ActivityRecorder&) = delete;
  ActivityRecorder& operator=(const ActivityRecorder&) = delete;

  // The line for one second: `now` (Unix seconds) and the difference of two samples.
  static std::string line(std::int64_t now, const ActivitySample& before,
                          const ActivitySample& after, double seconds);
  static constexpr std::string_view kHeader =
      "# tern activity, one line a second: unix_time sessions stanzas_in/s stanzas_out/s "
      "kib_in/s kib_out/s logins/s login_failures/s loop_lag_ms writer_queue commit_ms "
      "sessions_per_worker\n";

 private:
  void run();
  void write(const std::string& text);
  void rotate();

  ActivityOptions options_;
  std::function<ActivitySample()> sample_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failing_ = false;  // the last write failed (logged once)
  std::thread thread_;    // last: started once the rest exists
};

}  // namespace tern::core
