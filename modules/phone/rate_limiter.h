// SPDX-License-Identifier: MIT
// A sliding-window limit per key: at most `limit` events in any `window` (PIN requests per client
// address, the SMS budget of the whole server under one key). Thread-safe: one limiter is shared
// by the module's instances on every worker (ModuleContext::shared). It keeps at most `max_keys`
// keys; past that it drops the ones whose events have all aged out, and refuses new keys if none
// have (a flood of addresses cannot grow it without bound, and fails closed).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::modules::phone {

// The key of a client address for per-address limits: an IPv4 address as it is, an IPv6
// address by its /64 (one subscriber's prefix: counting single IPv6 addresses would give an
// attacker 2^64 of them).
std::string address_key(std::string_view ip);

class RateLimiter {
 public:
  RateLimiter() = default;
  void configure(std::uint32_t limit, std::int64_t window_s, std::size_t max_keys = 100000);

  // Whether `key` may have one more event at `now` (seconds); if so it is counted. A limit of 0
  // allows everything.
  bool allow(std::string_view key, std::int64_t now);
  // Uncounts the event allow() counted at `at` (a reservation that was not used).
  void give_back(std::string_view key, std::int64_t at);
  // Seconds until `key` may have its next event (0: now).
  std::int64_t retry_after(std::string_view key, std::int64_t now);
  std::size_t keys() const;

 private:
  // The key's events within the window (older ones dropped); nullptr if it has none.
  std::deque<std::int64_t>* events(std::string_view key, std::int64_t now);
  void drop_idle(std::int64_t now);

  mutable std::mutex mutex_;
  std::uint32_t limit_ = 0;
  std::int64_t window_s_ = 3600;
  std::size_t max_keys_ = 100000;
  std::unordered_map<std::string, std::deque<std::int64_t>> events_;
};

}  // namespace tern::modules::phone
