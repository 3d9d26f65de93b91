// SPDX-License-Identifier: MIT
// The counters and the unacknowledged queue of XEP-0198 stream management for one session,
// without I/O. Counts are 32-bit on the wire and wrap (XEP-0198 §4: "h" is the count modulo
// 2^32); inside they are 64-bit so that arithmetic never wraps.
//
// Inbound: every stanza the client sends gets a ticket; it is *handled* when the server has
// delivered it to an online session or committed it to the store. Handling may finish out of
// order (a store write completes later), but "h" only counts the contiguous prefix: the client
// must never be told a stanza is safe before every earlier one is.
//
// Outbound: every stanza sent to the client is kept until the client acknowledges it; what is
// still unacknowledged when the session ends goes back to the router.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>

#include "xmpp/stanza.h"

namespace tern::core::c2s {

class StreamManagement {
 public:
  using Ticket = std::uint64_t;

  bool enabled() const { return enabled_; }
  void enable() { enabled_ = true; }

  // --- inbound ---
  Ticket received();
  void handled(Ticket ticket);
  // "h" for <a/>: handled stanzas, modulo 2^32.
  std::uint32_t inbound_h() const { return static_cast<std::uint32_t>(handled_); }
  // Whether every stanza received so far is handled.
  bool all_handled() const { return handled_ == next_ticket_; }

  // --- outbound ---
  // Keeps `copy` until the client acknowledges it; its memory counts in unacked_bytes().
  void sent(xmpp::StanzaPtr copy);
  // Applies the client's <a h=…/>. False if h acknowledges more than was sent — the stanzas a
  // resend has not written yet were not (a protocol violation: XEP-0198 §4, undefined-condition
  // with <handled-count-too-high/>).
  bool acknowledge(std::uint32_t h);
  std::size_t unacked_count() const { return unacked_.size(); }
  // The memory the kept copies hold (their arenas).
  std::size_t unacked_bytes() const { return unacked_bytes_; }
  // The newest `unwritten()` kept stanzas have not been written on the current connection yet
  // (a resend after resumption goes out in slices; what arrives meanwhile queues behind it).
  std::size_t unwritten() const { return unwritten_; }
  void set_unwritten(std::size_t count) { unwritten_ = count; }
  // Forgets the oldest unwritten stanza: it cannot be written on this connection at all.
  void drop_next_unwritten();
  std::uint32_t outbound_h() const { return static_cast<std::uint32_t>(acked_); }
  const std::deque<xmpp::StanzaPtr>& unacked() const { return unacked_; }
  // Takes every unacknowledged stanza, oldest first.
  std::deque<xmpp::StanzaPtr> take_unacked();

  // For tests of the wrap-around: start the counters at `value`.
  void set_counters_for_test(std::uint64_t value);

 private:
  bool enabled_ = false;
  Ticket next_ticket_ = 0;       // tickets given out
  std::uint64_t handled_ = 0;    // the contiguous prefix of handled tickets
  std::set<Ticket> done_early_;  // handled, but after a ticket still open
  std::uint64_t acked_ = 0;      // outbound stanzas the client acknowledged
  std::deque<xmpp::StanzaPtr> unacked_;
  std::deque<std::size_t> unacked_sizes_;  // each copy's memory, in step with unacked_
  std::size_t unacked_bytes_ = 0;
  std::size_t unwritten_ = 0;
};

}  // namespace tern::core::c2s
