// SPDX-License-Identifier: MIT
#include "core/server/activity_recorder.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "log/logger.h"

namespace tern::core {

namespace {
const log::Logger kLog("server");
}  // namespace

ActivityRecorder::ActivityRecorder(ActivityOptions options, std::function<ActivitySample()> sample)
    : options_(std::move(options)), sample_(std::move(sample)) {
  thread_ = std::thread([this] { run(); });
}

ActivityRecorder::~ActivityRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string ActivityRecorder::line(std::int64_t now, const ActivitySample& before,
                                   const ActivitySample& after, double seconds) {
  auto rate = [seconds](std::uint64_t a, std::uint64_t b) {
    return seconds > 0 && b >= a ? static_cast<double>(b - a) / seconds : 0.0;
  };
  auto mean_ms = [](std::uint64_t sum_a, std::uint64_t sum_b, std::uint64_t n_a,
                    std::uint64_t n_b) {
    return n_b > n_a ? static_cast<double>(sum_b - sum_a) / static_cast<double>(n_b - n_a) / 1000
                     : 0.0;
  };
  std::uint64_t sessions = 0;
  std::string per_worker;
  for (std::uint64_t n : after.worker_sessions) {
    sessions += n;
    per_worker += (per_worker.empty() ? "" : ",") + std::to_string(n);
  }
  char text[512];
  std::snprintf(
      text, sizeof text, "%lld %llu %.0f %.0f %.1f %.1f %.1f %.1f %.2f %llu %.2f %s\n",
      static_cast<long long>(now), static_cast<unsigned long long>(sessions),
      rate(before.stanzas_in, after.stanzas_in), rate(before.stanzas_out, after.stanzas_out),
      rate(before.bytes_in, after.bytes_in) / 1024, rate(before.bytes_out, after.bytes_out) / 1024,
      rate(before.logins, after.logins), rate(before.login_failures, after.login_failures),
      mean_ms(before.lag_sum_us, after.lag_sum_us, before.lag_count, after.lag_count),
      static_cast<unsigned long long>(after.writer_queue),
      mean_ms(before.commit_sum_us, after.commit_sum_us, before.commits, after.commits),
      per_worker.c_str());
  return text;
}

void ActivityRecorder::run() {
  ActivitySample before = sample_();
  auto before_time = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    lock.unlock();
    ActivitySample now = sample_();
    const auto now_time = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now_time - before_time).count();
    const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    write(line(unix_now, before, now, seconds));
    before = std::move(now);
    before_time = now_time;
    lock.lock();
  }
}

void ActivityRecorder::write(const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(options_.file, ec);
  if (!ec && size + text.size() > options_.max_bytes) {
    rotate();
  }
  const bool fresh = !fs::exists(options_.file, ec);
  std::ofstream out(options_.file, std::ios::app | std::ios::binary);
  if (fresh) {
    out << kHeader;
  }
  out << text;
  out.flush();
  if (!out) {
    if (!failing_) {
      kLog.warn("activity.write_failed", "activity record not written: retried every second",
                {{"file", options_.file}});
    }
    failing_ = true;
  } else {
    failing_ = false;
  }
}

void ActivityRecorder::rotate() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (options_.keep == 0) {
    fs::remove(options_.file, ec);
    return;
  }
  fs::remove(options_.file + "." + std::to_string(options_.keep), ec);
  for (unsigned i = options_.keep; i-- > 1;) {
    fs::rename(options_.file + "." + std::to_string(i), options_.file + "." + std::to_string(i + 1),
               ec);
  }
  fs::rename(options_.file, options_.file + ".1", ec);
}

}  // namespace tern::core
