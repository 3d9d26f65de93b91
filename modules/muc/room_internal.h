// SPDX-License-Identifier: MIT
// What the room's source files share (room.cpp, room_messages.cpp, room_admin.cpp); nothing
// outside modules/muc includes it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "modules/muc/history.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern::modules::muc::internal {

// How many IQs between occupants a room waits answers for (the oldest is forgotten).
inline constexpr std::size_t kMaxRelayedIqs = 256;

// An XEP-0082 time stamp.
std::string stamp(Clock::time_point when);
// Compares a password in time that does not depend on where the first difference is.
bool equal_secret(std::string_view given, std::string_view expected);
// A client's presence as the room keeps it: without addresses, the join's <x/> (it may carry
// the password) and anything a client must not forge (muc#user, occupant-id).
std::shared_ptr<const xmpp::Stanza> as_occupant_presence(const xmpp::Stanza& presence);
// The error answering `request`; a refused join's presence echoes an empty <x xmlns='…/muc'/>
// (§7.2: clients match the error to their join by it; the password is not sent back).
// `by` names the room (or the service) that refused.
xmpp::StanzaPtr error_reply(const xmpp::Stanza& request, const xmpp::StanzaError& error,
                            std::string_view by);
// Removes every child element named `name` in `ns`.
void remove_children(xmpp::Element& parent, std::string_view name, std::string_view ns);
// Whether the room's form of a nickname (PRECIS-prepared, as in the occupant JID) differs from
// what the client wrote in the presence's 'to': then its own presence says so with 210.
bool nick_modified(const xmpp::Stanza& presence, std::string_view nick);

}  // namespace tern::modules::muc::internal
