// SPDX-License-Identifier: MIT
#include "tern/remap_lock.h"

#include <array>
#include <thread>
#include <utility>

namespace tern {
namespace {

std::atomic<std::size_t> next_slot{0};

// The locks this thread holds shared, with how many times: a thread touches one or two stores.
struct Held {
  const RemapLock* lock = nullptr;
  std::uint32_t count = 0;
};
thread_local std::array<Held, 8> held_locks{};

}  // namespace

RemapLock::Slot& RemapLock::my_slot() {
  thread_local const std::size_t index = next_slot.fetch_add(1, std::memory_order_relaxed);
  return slots_[index % kSlots];
}

std::uint32_t& RemapLock::held_here() {
  Held* free = nullptr;
  for (Held& h : held_locks) {
    if (h.lock == this) {
      return h.count;
    }
    if (free == nullptr && h.count == 0) {
      free = &h;
    }
  }
  // A thread holding more locks than that at once would be a bug; the last entry is reused.
  Held& entry = free != nullptr ? *free : held_locks.back();
  entry = Held{this, 0};
  return entry.count;
}

void RemapLock::lock_shared() {
  std::uint32_t& held = held_here();
  Slot& slot = my_slot();
  for (;;) {
    // Announce, then look: the resizer raises its flag, then looks at the slots. With both in
    // sequentially consistent order, either it sees this reader or this reader sees its flag.
    slot.readers.fetch_add(1, std::memory_order_seq_cst);
    if (held > 0 || !resizing_.load(std::memory_order_seq_cst)) {
      ++held;
      return;
    }
    slot.readers.fetch_sub(1, std::memory_order_seq_cst);
    while (resizing_.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

bool RemapLock::try_lock_shared() {
  std::uint32_t& held = held_here();
  Slot& slot = my_slot();
  slot.readers.fetch_add(1, std::memory_order_seq_cst);
  if (held > 0 || !resizing_.load(std::memory_order_seq_cst)) {
    ++held;
    return true;
  }
  slot.readers.fetch_sub(1, std::memory_order_seq_cst);
  return false;
}

void RemapLock::unlock_shared() {
  --held_here();
  my_slot().readers.fetch_sub(1, std::memory_order_release);
}

bool RemapLock::all_slots_empty() const {
  for (const Slot& slot : slots_) {
    if (slot.readers.load(std::memory_order_seq_cst) != 0) {
      return false;
    }
  }
  return true;
}

bool RemapLock::held_shared_here() {
  return held_here() > 0;
}

bool RemapLock::try_lock_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Another resizer (a second worker adopting a map ternctl grew) is waited for, not failed.
  std::unique_lock one_resizer(resizer_, deadline);
  if (!one_resizer.owns_lock()) {
    return false;
  }
  resizing_.store(true, std::memory_order_seq_cst);
  while (!all_slots_empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      resizing_.store(false, std::memory_order_seq_cst);
      return false;  // readers stayed: try again later
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  one_resizer.release();  // held until unlock()
  return true;
}

void RemapLock::lock() {
  while (!try_lock_for(std::chrono::milliseconds(200))) {
  }
}

void RemapLock::unlock() {
  resizing_.store(false, std::memory_order_seq_cst);
  resizer_.unlock();
}

}  // namespace tern
