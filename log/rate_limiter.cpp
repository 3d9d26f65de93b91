// SPDX-License-Identifier: MIT
// Token buckets per (component, event).
#include "log/rate_limiter.h"

#include <algorithm>

namespace tern::log {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, 1.0)) {}

bool RateLimiter::admit(std::string_view component, std::string_view event, Clock::time_point now) {
  if (per_second_ <= 0) {
    return true;
  }
  std::lock_guard lock(mutex_);
  key_.assign(component).append(1, '\0').append(event);
  auto it = buckets_.find(key_);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxKinds) {
      key_.assign(component).append(1, '\0').append("(other)");
      event = "(other)";
      it = buckets_.find(key_);
    }
    if (it == buckets_.end()) {
      Bucket fresh{std::string(component), std::string(event), burst_, now, 0};
      it = buckets_.emplace(key_, std::move(fresh)).first;
    }
  }
  Bucket& bucket = it->second;
  if (now > bucket.last) {
    std::chrono::duration<double> elapsed = now - bucket.last;
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed.count() * per_second_);
    bucket.last = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return true;
  }
  ++bucket.suppressed;
  return false;
}

std::vector<RateLimiter::Suppressed> RateLimiter::take_suppressed() {
  std::vector<Suppressed> out;
  std::lock_guard lock(mutex_);
  for (auto& [key, bucket] : buckets_) {
    if (bucket.suppressed != 0) {
      out.push_back(Suppressed{bucket.component, bucket.event, bucket.suppressed});
      bucket.suppressed = 0;
    }
  }
  std::sort(out.begin(), out.end(), [](const Suppressed& a, const Suppressed& b) {
    return a.component != b.component ? a.component < b.component : a.event < b.event;
  });
  return out;
}

}  // namespace tern::log
