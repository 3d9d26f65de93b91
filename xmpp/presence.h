// SPDX-License-Identifier: MIT
// Presence stanzas the server writes itself: subscription answers, probes, unavailable presence
// on a resource's behalf (RFC 6121 §3-4), and a presence readdressed to one recipient.
#pragma once

#include <string_view>

#include "xmpp/stanza.h"

namespace tern::xmpp {

// <presence from=… to=… type=…/> in jabber:client; no 'to' or 'type' when empty.
StanzaPtr make_presence(std::string_view from, std::string_view to, std::string_view type = {});

// A copy of `presence` with 'to' set to `to` (a broadcast presence sent to one contact).
StanzaPtr readdressed(const Stanza& presence, std::string_view to);

}  // namespace tern::xmpp
