// SPDX-License-Identifier: MIT
#include "modules/phone/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>

namespace tern::modules::phone {

std::string address_key(std::string_view ip) {
  in6_addr v6{};
  std::string text(ip);
  if (text.find(':') == std::string::npos || inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
    return text;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string key = "v6:";
  for (int i = 0; i < 8; ++i) {  // the /64
    key += kDigits[v6.s6_addr[i] >> 4];
    key += kDigits[v6.s6_addr[i] & 0xF];
  }
  return key;
}

void RateLimiter::configure(std::uint32_t limit, std::int64_t window_s, std::size_t max_keys) {
  std::lock_guard lock(mutex_);
  limit_ = limit;
  window_s_ = window_s;
  max_keys_ = max_keys;
}

std::deque<std::int64_t>* RateLimiter::events(std::string_view key, std::int64_t now) {
  auto it = events_.find(std::string(key));
  if (it == events_.end()) {
    return nullptr;
  }
  std::deque<std::int64_t>& times = it->second;
  while (!times.empty() && times.front() <= now - window_s_) {
    times.pop_front();
  }
  return &times;
}

void RateLimiter::drop_idle(std::int64_t now) {
  std::erase_if(events_, [&](const auto& entry) {
    return entry.second.empty() || entry.second.back() <= now - window_s_;
  });
}

bool RateLimiter::allow(std::string_view key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (limit_ == 0) {
    return true;
  }
  std::deque<std::int64_t>* times = events(key, now);
  if (times == nullptr) {
    if (events_.size() >= max_keys_) {
      drop_idle(now);
      if (events_.size() >= max_keys_) {
        return false;  // every tracked key is active: refuse rather than grow
      }
    }
    times = &events_[std::string(key)];
  }
  if (times->size() >= limit_) {
    return false;
  }
  times->push_back(now);
  return true;
}

void RateLimiter::give_back(std::string_view key, std::int64_t at) {
  std::lock_guard lock(mutex_);
  auto it = events_.find(std::string(key));
  if (it == events_.end()) {
    return;
  }
  auto event = std::find(it->second.rbegin(), it->second.rend(), at);
  if (event != it->second.rend()) {
    it->second.erase(std::next(event).base());
  }
}

std::int64_t RateLimiter::retry_after(std::string_view key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  std::deque<std::int64_t>* times = events(key, now);
  if (limit_ == 0 || times == nullptr || times->size() < limit_) {
    return 0;
  }
  return std::max<std::int64_t>(1, times->front() + window_s_ - now);
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace tern::modules::phone
