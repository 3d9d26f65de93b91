// SPDX-License-Identifier: MIT
#include "xmpp/presence.h"

#include "xmpp/namespaces.h"

namespace tern::xmpp {

StanzaPtr make_presence(std::string_view from, std::string_view to, std::string_view type) {
  StanzaPtr p = Stanza::create("presence", ns::kClient);
  p->root().set_attr("from", from);
  if (!to.empty()) {
    p->root().set_attr("to", to);
  }
  if (!type.empty()) {
    p->root().set_attr("type", type);
  }
  return p;
}

StanzaPtr readdressed(const Stanza& presence, std::string_view to) {
  StanzaPtr copy = presence.clone();
  copy->root().set_attr("to", to);
  return copy;
}

}  // namespace tern::xmpp
