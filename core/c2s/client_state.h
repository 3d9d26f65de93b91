// SPDX-License-Identifier: MIT
// XEP-0352 client state indication for one session. While the client says it is inactive (a
// phone in a pocket), what it does not need at once waits here: presence (only the newest from
// each sender is kept) and chat-state notifications without content. Anything else — a message
// with a body, a receipt or marker, an IQ, an error — goes out at once, after what waited, so the
// order of what the client sees never changes. Becoming active sends everything. The buffer is
// bounded: past kMaxHeld stanzas it is sent anyway.
#pragma once

#include <cstddef>
#include <vector>

#include "xmpp/stanza.h"

namespace tern::core::c2s {

class ClientState {
 public:
  static constexpr std::size_t kMaxHeld = 200;

  bool inactive() const { return inactive_; }
  // Returns what to send now, oldest first (empty when everything waits).
  std::vector<xmpp::StanzaPtr> set_active();
  void set_inactive() { inactive_ = true; }
  // Takes `stanza`; returns what to send now, oldest first (possibly nothing).
  std::vector<xmpp::StanzaPtr> offer(xmpp::StanzaPtr stanza);
  std::size_t held() const { return held_.size(); }

  // Whether `stanza` may wait while the client is inactive.
  static bool can_wait(const xmpp::Stanza& stanza);

 private:
  std::vector<xmpp::StanzaPtr> release_all();

  bool inactive_ = false;
  std::vector<xmpp::StanzaPtr> held_;
};

}  // namespace tern::core::c2s
