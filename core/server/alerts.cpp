// SPDX-License-Identifier: MIT
#include "core/server/alerts.h"

#include "log/logger.h"

namespace tern::core {

namespace {
const log::Logger kLog("alerts");
}  // namespace

void Alerts::set_thresholds(const AlertThresholds& t) {
  const std::array<std::uint64_t, kCount> values = {t.session_output_bytes,
                                                    t.session_unacked_stanzas,
                                                    t.loop_lag_ms,
                                                    t.writer_queue,
                                                    t.commit_ms,
                                                    t.disk_free_bytes,
                                                    t.login_failures_per_minute};
  for (std::size_t i = 0; i < kCount; ++i) {
    thresholds_[i].store(values[i], std::memory_order_relaxed);
    if (values[i] == 0) {
      firing_[i].store(false, std::memory_order_relaxed);  // turned off: it no longer fires
    }
  }
}

std::uint64_t Alerts::threshold(Id id) const {
  return id < kCount ? thresholds_[id].load(std::memory_order_relaxed) : 0;
}

void Alerts::check(const AlertInputs& in) {
  std::array<std::uint64_t, kCount> value{};
  value[kSessionOutput] = in.max_output_bytes;
  value[kSessionUnacked] = in.max_unacked;
  value[kLoopLag] = in.max_lag_us / 1000;
  value[kWriterQueue] = in.writer_queue;
  value[kDiskFree] = in.disk_free;
  if (!first_) {
    const std::uint64_t commits = in.commits - last_.commits;
    value[kCommitTime] =
        commits == 0 ? 0 : (in.commit_micros - last_.commit_micros) / commits / 1000;
    const double minutes = (in.now_s - last_.now_s) / 60;
    value[kLoginFailures] =
        minutes <= 0 ? 0
                     : static_cast<std::uint64_t>(
                           static_cast<double>(in.login_failures - last_.login_failures) / minutes);
  }
  first_ = false;
  last_ = in;
  for (std::size_t i = 0; i < kCount; ++i) {
    const auto id = static_cast<Id>(i);
    const std::uint64_t limit = threshold(id);
    if (limit == 0) {
      continue;
    }
    // Free disk fires below its threshold; everything else above it.
    const bool over = id == kDiskFree ? value[i] < limit : value[i] > limit;
    if (over == firing_[i].load(std::memory_order_relaxed)) {
      continue;
    }
    firing_[i].store(over, std::memory_order_relaxed);
    if (over) {
      kLog.warn("alert.firing", "alert firing: a threshold of [alerts] was crossed",
                {{"alert", kNames[i]}, {"value", value[i]}, {"threshold", limit}});
    } else {
      kLog.info("alert.cleared", "alert cleared: back within its threshold",
                {{"alert", kNames[i]}, {"value", value[i]}, {"threshold", limit}});
    }
  }
}

}  // namespace tern::core
