// SPDX-License-Identifier: MIT
// AuthThrottle: failed logins counted per account and per peer address, shared by every worker.
// Past a number of consecutive failures a key is locked out for a while that doubles with each
// further failure (2 s, 4 s, … up to a maximum); while locked out, every login for that account or
// from that address is refused with temporary-auth-failure without checking the password, so
// guessing goes no faster than the lockout allows. A success clears the account's count (not the
// address's: one valid account must not reset the counter for guessing others).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::core::c2s {

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    unsigned failures_per_account = 5;  // consecutive failures before the first lockout
    unsigned failures_per_address = 20;
    std::chrono::seconds max_lockout{300};
  };
  explicit AuthThrottle(Options options) : options_(options) {}

  // How long logins for `account` or from `address` stay refused (zero: not locked out).
  std::chrono::milliseconds locked_for(std::string_view account, std::string_view address,
                                       Clock::time_point now);
  void failed(std::string_view account, std::string_view address, Clock::time_point now);
  void succeeded(std::string_view account);

  static constexpr std::chrono::seconds kFirstLockout{2};
  // Past this many counted keys, the ones not locked out are forgotten; if half are still
  // locked out, all are (the map stays bounded, and a sweep is not repeated per failure).
  static constexpr std::size_t kMaxEntries = 100000;

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point locked_until{};
  };
  std::chrono::milliseconds remaining(const std::string& key, Clock::time_point now) const;
  void count(const std::string& key, unsigned threshold, Clock::time_point now);

  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // "a:" + account, "i:" + address
};

// "203.0.113.7" from "203.0.113.7:5222", "2001:db8::1" from "[2001:db8::1]:5222".
std::string_view address_of(std::string_view peer);

}  // namespace tern::core::c2s
