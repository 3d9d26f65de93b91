// SPDX-License-Identifier: MIT
// TimeoutWheel: idle and negotiation deadlines for very many connections on one worker, at
// one-second resolution, with no timer per connection and no scan over all of them. Each
// connection sits in exactly one slot, the one of the deadline it had when it was (re)inserted.
// Activity only moves the connection's own deadline forward — no wheel operation at all; when its
// slot comes due, the wheel asks for the current deadline and either expires the connection or
// moves it to the slot of the later deadline. A tick costs the entries of one slot.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace tern::core {

class TimeoutWheel {
 public:
  using Id = std::uint64_t;
  // The entry's current deadline (seconds), or nullopt when it no longer exists.
  using DeadlineOf = std::function<std::optional<std::uint64_t>(Id)>;
  using Expire = std::function<void(Id)>;

  // `slots` bounds nothing: a deadline further away than `slots` seconds simply comes round
  // again and is re-inserted.
  explicit TimeoutWheel(std::uint64_t now, std::size_t slots = 1024);

  void insert(Id id, std::uint64_t deadline);
  // Visits every slot from the last tick up to `now`; entries whose deadline has passed expire.
  void advance(std::uint64_t now, const DeadlineOf& deadline_of, const Expire& expire);

  std::size_t size() const { return size_; }

 private:
  std::vector<std::vector<Id>> slots_;
  std::vector<Id> due_;  // reused while a slot is processed
  std::uint64_t now_;
  std::size_t size_ = 0;
};

}  // namespace tern::core
