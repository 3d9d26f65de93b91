// SPDX-License-Identifier: MIT
// XEP-0280 §6 as of version 1.0.1, plus the XEP-0334 <no-copy/> hint (§9 has clients send it with
// <private/>). Not implemented: §6 makes an error eligible when it answers an eligible message,
// which needs the server to remember what it copied; errors are never copied.
#include "modules/carbons/eligibility.h"

#include <string_view>

#include "xmpp/namespaces.h"

namespace tern::modules::carbons {
namespace {

bool has_child_in(const xmpp::Element& message, std::string_view ns) {
  for (const xmpp::Element& child : message.children()) {
    if (child.ns() == ns) {
      return true;
    }
  }
  return false;
}

// §6: payloads typically used in IM, which make even a body-less message worth copying.
bool carries_im_payload(const xmpp::Element& message) {
  return has_child_in(message, xmpp::ns::kReceipts) ||
         has_child_in(message, xmpp::ns::kChatStates) ||
         has_child_in(message, xmpp::ns::kChatMarkers);
}

bool carries_mediated_invitation(const xmpp::Element& message) {
  const xmpp::Element* x = message.child("x", xmpp::ns::kMucUser);
  return x != nullptr && x->child("invite", xmpp::ns::kMucUser) != nullptr;
}

// §6 MUC rules: invitations are copied, direct (XEP-0249) or mediated (XEP-0045 §7.8.2).
bool carries_invitation(const xmpp::Element& message) {
  return message.child("x", xmpp::ns::kConference) != nullptr ||
         carries_mediated_invitation(message);
}

// §6 MUC rules: a private message from an occupant comes from its occupant JID (a full JID) and
// carries <x xmlns='…muc#user'/> (XEP-0045 §7.5). Without tracking the user's rooms that element
// is the only sign; the room already sends such messages to every client that joined.
bool is_private_from_occupant(const xmpp::Element& message) {
  const bool from_full_jid = message.attr("from").find('/') != std::string_view::npos;
  return from_full_jid && message.child("x", xmpp::ns::kMucUser) != nullptr &&
         !carries_mediated_invitation(message);
}

}  // namespace

bool eligible(const xmpp::Element& message, Direction direction) {
  if (message.child("private", xmpp::ns::kCarbons) != nullptr ||
      message.child("no-copy", xmpp::ns::kHints) != nullptr) {
    return false;
  }
  // A carbon, or a message posing as one, is not copied again: the copies would nest.
  if (message.child("sent", xmpp::ns::kCarbons) != nullptr ||
      message.child("received", xmpp::ns::kCarbons) != nullptr) {
    return false;
  }
  const std::string_view type = message.attr("type");
  if (type == "groupchat" || type == "error") {
    return false;  // §6: groupchat is never copied; errors: see the top of this file
  }
  if (direction == Direction::Received && is_private_from_occupant(message)) {
    return false;
  }
  if (type == "chat") {
    return true;
  }
  // RFC 6121 §5.2.2: no 'type' means "normal".
  if ((type.empty() || type == "normal") && message.child("body") != nullptr) {
    return true;
  }
  return carries_im_payload(message) || carries_invitation(message);
}

}  // namespace tern::modules::carbons
