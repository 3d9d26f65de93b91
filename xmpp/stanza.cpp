// SPDX-License-Identifier: MIT
// Stanza construction, classification and reply skeletons.
#include "xmpp/stanza.h"

#include "xmpp/namespaces.h"

namespace tern::xmpp {

StanzaPtr Stanza::create(std::string_view name, std::string_view ns) {
  auto stanza = std::make_unique<Stanza>();
  stanza->set_root(Element::create(stanza->arena(), name, ns));
  return stanza;
}

StanzaKind Stanza::kind() const {
  if (root_ == nullptr || (root_->ns() != ns::kClient && root_->ns() != ns::kServer)) {
    return StanzaKind::Other;
  }
  std::string_view n = root_->name();
  if (n == "message") {
    return StanzaKind::Message;
  }
  if (n == "presence") {
    return StanzaKind::Presence;
  }
  if (n == "iq") {
    return StanzaKind::Iq;
  }
  return StanzaKind::Other;
}

StanzaPtr Stanza::clone() const {
  auto copy = std::make_unique<Stanza>();
  if (root_ != nullptr) {
    copy->set_root(root_->clone_into(copy->arena()));
  }
  copy->receipt_ = receipt_;
  return copy;
}

StanzaPtr make_reply(const Element& request) {
  StanzaPtr reply = Stanza::create(request.name(), request.ns());
  Element& root = reply->root();
  if (const Attribute* from = request.find_attr("from")) {
    root.set_attr("to", from->value);
  }
  if (const Attribute* to = request.find_attr("to")) {
    root.set_attr("from", to->value);
  }
  if (const Attribute* id = request.find_attr("id")) {
    root.set_attr("id", id->value);
  }
  return reply;
}

StanzaPtr make_iq_result(const Element& request) {
  StanzaPtr reply = make_reply(request);
  reply->root().set_attr("type", "result");
  return reply;
}

}  // namespace tern::xmpp
