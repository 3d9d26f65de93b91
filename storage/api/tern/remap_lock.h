// SPDX-License-Identifier: MIT
// RemapLock: what keeps the store's map from moving under open transactions. Every transaction
// holds it shared (several per message, on every worker); only a map resize, rare, takes it
// exclusively. A reader-writer mutex would make every reader write the same cache line, which
// the workers then pass back and forth on each read; here each thread counts its readers in a
// slot of its own, and the resizer raises a flag and waits for every slot to empty.
//
// Readers: lock_shared() never waits unless a resize is under way. A thread that already holds
// this lock shared (a read inside a read) goes on even then: the resizer waits for it anyway, and
// it must not wait for the resizer. The resizer: try_lock_for() gives up after its timeout if
// readers do not leave (no reader is ever turned away for long).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace tern {

class RemapLock {
 public:
  RemapLock() = default;
  RemapLock(const RemapLock&) = delete;
  RemapLock& operator=(const RemapLock&) = delete;

  // SharedLockable (std::shared_lock).
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

  // Whether the calling thread holds it shared: a resize from such a thread would wait for
  // itself, so it must not try (the map grows or is adopted on another turn).
  bool held_shared_here();

  // TimedLockable (std::unique_lock), for the resizer. Readers must be released by the thread
  // that took them (a transaction never moves to another thread): each counts in its own slot.
  bool try_lock_for(std::chrono::milliseconds timeout);
  bool try_lock() { return try_lock_for(std::chrono::milliseconds(0)); }
  void lock();
  void unlock();

 private:
  static constexpr std::size_t kSlots = 64;
  struct alignas(64) Slot {
    std::atomic<std::uint32_t> readers{0};
  };
  Slot& my_slot();
  // How many times the calling thread holds this lock shared (nested reads).
  std::uint32_t& held_here();
  bool all_slots_empty() const;

  Slot slots_[kSlots];
  std::atomic<bool> resizing_{false};
  std::timed_mutex resizer_;  // one resizer at a time
};

}  // namespace tern
