// SPDX-License-Identifier: MIT
#include "core/server/alerts.h"

#include "log/logger.h"

namespace tern::core {

namespace {
const log::Logger kLog("alerts");
}  // namespace

std::uint64_t Alerts::threshold(Id id) const {
  switch (id) {
    case kSessionOutput:
      return thresholds_.session_output_bytes;
    case kSessionUnacked:
      return thresholds_.session_unacked_stanzas;
    case kLoopLag:
      return thresholds_.loop_lag_ms;
    case kWriterQueue:
      return thresholds_.writer_queue;
    case kCommitTime:
      return thresholds_.commit_ms;
    case kDiskFree:
      return thresholds_.disk_free_bytes;
    case kLoginFailures:
      return thresholds_.login_failures_per_minute;
    case kCount:
      break;
  }
  return 0;
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
