// SPDX-License-Identifier: MIT
// PreparedStanza: one stanza for many recipients, serialised once. A room's message to its
// occupants differs between copies only in 'to', so the copies' bytes are the stanza's bytes with
// one attribute spliced in: a fan-out to N sessions serialises once, not N times (issue #19).
// The tree is kept too, for a session that needs a copy of its own (stream management keeps one
// for a resend, a binary stream encodes trees, a session that is gone routes one again).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace tern::xmpp {

class PreparedStanza {
 public:
  // `stanza` has no 'to' (each copy gets its own); `content_ns` is the default namespace of the
  // streams it will be written to (jabber:client).
  explicit PreparedStanza(std::shared_ptr<const Stanza> stanza,
                          std::string_view content_ns = ns::kClient);

  // Appends the copy for `to`: what Serializer(content_ns).write() writes for the stanza with
  // to=`to` set as its first attribute.
  void write(std::string& out, std::string_view to) const;
  // The copy for `to` as a tree of its own ('to' set last, as Element::set_attr does).
  StanzaPtr copy_for(std::string_view to) const;

  const Stanza& stanza() const { return *stanza_; }
  // The serialised stanza without 'to', and where a copy's 'to' goes in it.
  std::string_view bytes() const { return bytes_; }

 private:
  std::shared_ptr<const Stanza> stanza_;
  std::string bytes_;
  std::size_t to_at_ = 0;  // just after the element's name
};

}  // namespace tern::xmpp
