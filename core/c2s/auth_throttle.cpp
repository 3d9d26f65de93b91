// SPDX-License-Identifier: MIT
#include "core/c2s/auth_throttle.h"

#include <algorithm>

#include "log/logger.h"

namespace tern::core::c2s {
namespace {

const log::Logger kLog("c2s");

}  // namespace

std::chrono::milliseconds AuthThrottle::remaining(const std::string& key,
                                                  Clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(it->second.locked_until - now);
}

std::chrono::milliseconds AuthThrottle::locked_for(std::string_view account,
                                                   std::string_view address,
                                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return std::max(remaining("a:" + std::string(account), now),
                  remaining("i:" + std::string(address), now));
}

void AuthThrottle::count(const std::string& key, unsigned threshold, Clock::time_point now) {
  Entry& entry = entries_[key];
  ++entry.failures;
  if (entry.failures >= threshold) {
    // 2 s at the threshold, doubling with each further failure, up to the maximum.
    unsigned doublings = std::min(entry.failures - threshold, 20U);
    auto lockout = std::min<std::chrono::seconds>(kFirstLockout * (std::int64_t{1} << doublings),
                                                  options_.max_lockout);
    entry.locked_until = now + lockout;
  }
}

void AuthThrottle::failed(std::string_view account, std::string_view address,
                          Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) {
    std::erase_if(entries_, [now](const auto& item) { return item.second.locked_until <= now; });
    if (entries_.size() >= kMaxEntries / 2) {
      // Mostly live lockouts (a spray over many names and addresses): forget them all rather
      // than grow, or sweep again on every failure.
      kLog.warn("limit.refused", "login throttle full: every lockout forgotten",
                {{"entries", static_cast<std::int64_t>(entries_.size())}});
      entries_.clear();
    }
  }
  if (!account.empty()) {
    count("a:" + std::string(account), options_.failures_per_account, now);
  }
  if (!address.empty()) {
    count("i:" + std::string(address), options_.failures_per_address, now);
  }
}

void AuthThrottle::succeeded(std::string_view account) {
  std::lock_guard lock(mutex_);
  entries_.erase("a:" + std::string(account));
}

std::string_view address_of(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    std::size_t end = peer.find(']');
    return end == std::string_view::npos ? peer : peer.substr(1, end - 1);
  }
  std::size_t colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace tern::core::c2s
