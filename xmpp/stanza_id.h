// SPDX-License-Identifier: MIT
// XEP-0359 stanza ids as the server writes them: one per message and archive ('by' names the
// archive: an account's bare JID, a room), never one a client wrote. A client's message passes
// its own server's outbound hooks first, which strip any id claiming to be by the recipient;
// after that, an id by the recipient on a message is the server's (a message routed again keeps
// it, so that a client recognises it), and every module that needs one asks ensure_stanza_id.
#pragma once

#include <string_view>

#include "xmpp/element.h"

namespace tern::xmpp {

// The <stanza-id/> by `by`, if the message has one.
const Element* stanza_id_by(const Element& message, std::string_view by);
// Removes every <stanza-id/> claiming to be by `by` (a client's forgery, XEP-0359 §3.1).
void strip_stanza_ids_by(Element& message, std::string_view by);
// Adds a fresh, unguessable <stanza-id by=`by`/> unless the message carries one; returns the id.
std::string_view ensure_stanza_id(Element& message, std::string_view by);

}  // namespace tern::xmpp
