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

const Jid* Stanza::parsed(Address which) const {
  if (root_ == nullptr) {
    return nullptr;
  }
  std::string_view text = which == Address::To ? to() : from();
  ParsedAddress& slot = which == Address::To ? to_ : from_;
  if (!slot.parsed || slot.text != text.data() || slot.length != text.size()) {
    slot.text = text.data();
    slot.length = text.size();
    slot.parsed = true;
    slot.jid.reset();
    if (!text.empty()) {
      if (auto jid = Jid::parse(text)) {
        slot.jid = std::move(jid).value();
      }
    }
  }
  return slot.jid ? &*slot.jid : nullptr;
}

void Stanza::stamp_from(const Jid& jid) {
  root_->set_attr("from", jid.full());
  std::string_view text = from();
  from_.text = text.data();
  from_.length = text.size();
  from_.parsed = true;
  from_.jid = jid;
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
