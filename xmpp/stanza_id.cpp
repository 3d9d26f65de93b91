// SPDX-License-Identifier: MIT
#include "xmpp/stanza_id.h"

#include <vector>

#include "xmpp/namespaces.h"
#include "xmpp/random_ids.h"

namespace tern::xmpp {

const Element* stanza_id_by(const Element& message, std::string_view by) {
  for (const Element& child : message.children()) {
    if (child.is("stanza-id", ns::kStanzaId) && child.attr("by") == by) {
      return &child;
    }
  }
  return nullptr;
}

void strip_stanza_ids_by(Element& message, std::string_view by) {
  std::vector<Element*> forged;
  for (Element& child : message.children()) {
    if (child.is("stanza-id", ns::kStanzaId) && child.attr("by") == by) {
      forged.push_back(&child);
    }
  }
  for (Element* e : forged) {
    message.remove_child(e);
  }
}

std::string_view ensure_stanza_id(Element& message, std::string_view by) {
  if (const Element* id = stanza_id_by(message, by)) {
    return id->attr("id");
  }
  return message.add_child("stanza-id", ns::kStanzaId)
      .set_attr("id", random_uuid())  // XEP-0359 §4: unique and not guessable
      .set_attr("by", by)
      .attr("id");
}

}  // namespace tern::xmpp
