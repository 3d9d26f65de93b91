// SPDX-License-Identifier: MIT
// XEP-0198 counters (see stream_management.h).
#include "core/c2s/stream_management.h"

namespace tern::core::c2s {

StreamManagement::Ticket StreamManagement::received() {
  return ++next_ticket_;
}

void StreamManagement::handled(Ticket ticket) {
  if (ticket <= handled_ || ticket > next_ticket_) {
    return;  // already counted (or never given out): reporting twice must not corrupt h
  }
  if (ticket != handled_ + 1) {
    done_early_.insert(ticket);
    return;
  }
  handled_ = ticket;
  // Earlier completions that were waiting for this one now count too.
  while (!done_early_.empty() && *done_early_.begin() == handled_ + 1) {
    handled_ = *done_early_.begin();
    done_early_.erase(done_early_.begin());
  }
}

void StreamManagement::sent(xmpp::StanzaPtr copy) {
  std::size_t size = copy->arena().bytes_allocated();
  unacked_bytes_ += size;
  unacked_sizes_.push_back(size);
  unacked_.push_back(std::move(copy));
}

bool StreamManagement::acknowledge(std::uint32_t h) {
  // How far h is ahead of what was acknowledged before, modulo 2^32.
  std::uint32_t delta = h - static_cast<std::uint32_t>(acked_);
  if (delta > unacked_.size() - unwritten_) {
    return false;  // more than was sent (stanzas a resend has not written yet were not)
  }
  for (std::uint32_t i = 0; i < delta; ++i) {
    if (const auto& receipt = unacked_.front()->receipt()) {
      receipt->delivered();  // the client has it: e.g. its offline copy can go
    }
    unacked_.pop_front();
    unacked_bytes_ -= unacked_sizes_.front();
    unacked_sizes_.pop_front();
  }
  acked_ += delta;
  return true;
}

std::deque<xmpp::StanzaPtr> StreamManagement::take_unacked() {
  std::deque<xmpp::StanzaPtr> out;
  out.swap(unacked_);
  unacked_sizes_.clear();
  unacked_bytes_ = 0;
  unwritten_ = 0;
  acked_ += out.size();
  return out;
}

void StreamManagement::drop_next_unwritten() {
  if (unwritten_ == 0) {
    return;
  }
  std::size_t index = unacked_.size() - unwritten_;
  unacked_bytes_ -= unacked_sizes_[index];
  unacked_sizes_.erase(unacked_sizes_.begin() + static_cast<std::ptrdiff_t>(index));
  unacked_.erase(unacked_.begin() +
                 static_cast<std::ptrdiff_t>(index));  // its receipt: not delivered
  --unwritten_;
}

void StreamManagement::set_counters_for_test(std::uint64_t value) {
  next_ticket_ = value;
  handled_ = value;
  acked_ = value;
}

}  // namespace tern::core::c2s
