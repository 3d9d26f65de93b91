// SPDX-License-Identifier: MIT
// The blocklist in force (XEP-0191 §3.3), as stanza hooks:
//   - inbound, on the recipient's server: nothing from a blocked address reaches the owner.
//     Presence is dropped without a word, chat and normal messages and IQ gets and sets are
//     answered with service-unavailable, IQ results and errors dropped: the owner looks
//     offline. Groupchat and headline messages are dropped without a word (Prosody does the
//     same): an error to a room would take the owner out of it. A room's fan-out (one message
//     to many occupants) is filtered by the same rule, in one read of the store.
//     The owner's own available presence and probes to an address it blocked (the broadcasts
//     and probes the presence module routes on its behalf) are dropped too, so the blocked
//     contact keeps seeing it offline; unavailable presence and subscription changes still go.
//   - outbound, on the sender's server: a client's stanza to an address its account blocked is
//     not routed; the client gets not-acceptable with <blocked xmlns='urn:xmpp:blocking:errors'/>.
#pragma once

#include "modules/blocking/blocklist_store.h"
#include "tern/module_api.h"

namespace tern::modules::blocking {

Verdict enforce_inbound(ModuleContext& ctx, const BlocklistStore& blocklist,
                        xmpp::StanzaPtr& stanza);
Verdict enforce_outbound(ModuleContext& ctx, const BlocklistStore& blocklist,
                         xmpp::StanzaPtr& stanza);
// A fan-out's recipients (a room's message): each whose account blocks the sender is removed and
// answered as enforce_inbound answers a routed copy, all in one read of the store.
void enforce_fan_out(ModuleContext& ctx, const BlocklistStore& blocklist, FanOut& fan_out);

}  // namespace tern::modules::blocking
