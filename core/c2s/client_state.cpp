// SPDX-License-Identifier: MIT
// XEP-0352 buffering (see client_state.h).
#include "core/c2s/client_state.h"

#include "xmpp/namespaces.h"

namespace tern::core::c2s {

bool ClientState::can_wait(const xmpp::Stanza& stanza) {
  if (stanza.receipt()) {
    return false;  // a queued message: its delivery is being waited for
  }
  if (stanza.kind() == xmpp::StanzaKind::Presence) {
    std::string_view type = stanza.type();
    return type.empty() || type == "unavailable";  // subscription requests are for a human
  }
  if (stanza.kind() != xmpp::StanzaKind::Message || stanza.type() == "error") {
    return false;
  }
  // A message may wait only if all it carries is a chat state (XEP-0085).
  bool chat_state = false;
  for (const xmpp::Element& child : stanza.root().children()) {
    if (child.ns() == xmpp::ns::kChatStates) {
      chat_state = true;
    } else if (child.ns() != xmpp::ns::kHints && child.name() != "thread") {
      return false;  // a body, a receipt, a marker, anything else: the client wants it
    }
  }
  return chat_state;
}

std::vector<xmpp::StanzaPtr> ClientState::release_all() {
  std::vector<xmpp::StanzaPtr> out;
  out.swap(held_);
  return out;
}

std::vector<xmpp::StanzaPtr> ClientState::set_active() {
  inactive_ = false;
  return release_all();
}

std::vector<xmpp::StanzaPtr> ClientState::offer(xmpp::StanzaPtr stanza) {
  if (!inactive_ || !can_wait(*stanza)) {
    std::vector<xmpp::StanzaPtr> out = release_all();
    out.push_back(std::move(stanza));
    return out;
  }
  if (stanza->kind() == xmpp::StanzaKind::Presence) {
    // Only the newest presence of each sender matters.
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if ((*it)->kind() == xmpp::StanzaKind::Presence && (*it)->from() == stanza->from()) {
        held_.erase(it);
        break;
      }
    }
  }
  held_.push_back(std::move(stanza));
  if (held_.size() > kMaxHeld) {
    return release_all();
  }
  return {};
}

}  // namespace tern::core::c2s
