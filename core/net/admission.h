// SPDX-License-Identifier: MIT
// ConnectionAdmission: how many client connections the whole server holds, in total and per peer
// address, shared by every worker. The total stays below the process's descriptor limit, so
// accept() never runs out of descriptors in normal operation (a flood waits in the kernel's
// backlog instead), and one address cannot take every place.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::core::net {

class ConnectionAdmission {
 public:
  // 0 for max_per_address: no per-address limit.
  ConnectionAdmission(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  enum class Verdict { Admitted, ServerFull, AddressFull };
  // Takes a place for a connection from `address` (an IP, no port) if there is one.
  Verdict admit(std::string_view address);
  // Gives back the place of a connection admitted from `address`.
  void release(std::string_view address);

  // Whether a new connection would be refused whatever its address: the listeners stop accepting
  // until places free up.
  bool full() const { return open_.load(std::memory_order_relaxed) >= max_total_; }
  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t max_total() const { return max_total_; }
  std::size_t max_per_address() const { return max_per_address_; }

 private:
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::atomic<std::size_t> open_{0};
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> per_address_;
};

// The connection cap for a process allowed `descriptor_limit` descriptors: what is left after a
// reserve for the store, the listeners, the loops and the log (at least 64, or a tenth).
std::size_t connection_cap_for(std::size_t descriptor_limit);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit before and after.
struct DescriptorLimits {
  std::size_t before = 0;
  std::size_t after = 0;
};
DescriptorLimits raise_descriptor_limit();

}  // namespace tern::core::net
