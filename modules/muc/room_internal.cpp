// SPDX-License-Identifier: MIT
#include "modules/muc/room_internal.h"

#include <openssl/crypto.h>

#include <vector>

#include "xmpp/datetime.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc::internal {

std::string stamp(Clock::time_point when) {
  return xmpp::xep82_datetime(when);
}

bool equal_secret(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) {
    return false;
  }
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void remove_children(xmpp::Element& parent, std::string_view name, std::string_view ns) {
  std::vector<xmpp::Element*> doomed;
  for (xmpp::Element& child : parent.children()) {
    if (child.is(name, ns)) {
      doomed.push_back(&child);
    }
  }
  for (xmpp::Element* child : doomed) {
    parent.remove_child(child);
  }
}

xmpp::StanzaPtr error_reply(const xmpp::Stanza& request, const xmpp::StanzaError& error,
                            std::string_view by) {
  xmpp::StanzaError named = error;
  named.by = std::string(by);  // RFC 6120 §8.3.2: the room, not the occupant addressed
  xmpp::StanzaPtr reply = xmpp::make_error_reply(request.root(), named);
  if (reply && request.kind() == xmpp::StanzaKind::Presence) {
    reply->root().add_child("x", xmpp::ns::kMuc);
  }
  return reply;
}

std::shared_ptr<const xmpp::Stanza> as_occupant_presence(const xmpp::Stanza& presence) {
  xmpp::StanzaPtr copy = presence.clone();
  xmpp::Element& root = copy->root();
  root.remove_attr("to");
  root.remove_attr("from");
  remove_children(root, "x", xmpp::ns::kMuc);
  remove_children(root, "x", xmpp::ns::kMucUser);
  remove_children(root, "occupant-id", xmpp::ns::kOccupantId);
  return std::shared_ptr<const xmpp::Stanza>(std::move(copy));
}

bool nick_modified(const xmpp::Stanza& presence, std::string_view nick) {
  std::string_view to = presence.root().attr("to");
  std::size_t slash = to.find('/');
  return slash != std::string_view::npos && to.substr(slash + 1) != nick;
}

}  // namespace tern::modules::muc::internal
