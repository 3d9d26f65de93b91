// SPDX-License-Identifier: MIT
#include "xmpp/prepared_stanza.h"

#include <cassert>

#include "xmpp/escape.h"
#include "xmpp/serializer.h"

namespace tern::xmpp {

PreparedStanza::PreparedStanza(std::shared_ptr<const Stanza> stanza, std::string_view content_ns)
    : stanza_(std::move(stanza)) {
  assert(stanza_->root().attr("to").empty());
  Serializer(content_ns).write(bytes_, stanza_->root());
  // A stanza of the content namespace is written "<name" then its attributes: no prefix.
  to_at_ = 1 + stanza_->root().name().size();
}

void PreparedStanza::write(std::string& out, std::string_view to) const {
  out.reserve(out.size() + bytes_.size() + to.size() + 6);
  out.append(bytes_, 0, to_at_);
  out += " to='";
  append_escaped_attr(out, to);
  out += '\'';
  out.append(bytes_, to_at_);
}

StanzaPtr PreparedStanza::copy_for(std::string_view to) const {
  StanzaPtr copy = stanza_->clone();
  copy->root().set_attr("to", to);
  return copy;
}

}  // namespace tern::xmpp
