// SPDX-License-Identifier: MIT
// The slot bookkeeping of TimeoutWheel.
#include "core/loop/timeout_wheel.h"

#include <algorithm>

namespace tern::core {

TimeoutWheel::TimeoutWheel(std::uint64_t now, std::size_t slots) : slots_(slots), now_(now) {}

void TimeoutWheel::insert(Id id, std::uint64_t deadline) {
  // A deadline already past goes into the next slot to be visited.
  std::uint64_t at = std::max(deadline, now_ + 1);
  slots_[at % slots_.size()].push_back(id);
  ++size_;
}

void TimeoutWheel::advance(std::uint64_t now, const DeadlineOf& deadline_of, const Expire& expire) {
  // After a long stall, visiting every slot once is enough: each holds entries of any age.
  std::uint64_t steps = std::min<std::uint64_t>(now > now_ ? now - now_ : 0, slots_.size());
  for (std::uint64_t step = 1; step <= steps; ++step) {
    due_.clear();
    due_.swap(slots_[(now_ + step) % slots_.size()]);
    size_ -= due_.size();
    for (Id id : due_) {
      std::optional<std::uint64_t> deadline = deadline_of(id);
      if (!deadline) {
        continue;  // gone meanwhile
      }
      if (*deadline <= now) {
        expire(id);
      } else {
        std::uint64_t at = *deadline;
        slots_[at % slots_.size()].push_back(id);
        ++size_;
      }
    }
  }
  now_ = std::max(now_, now);
}

}  // namespace tern::core
