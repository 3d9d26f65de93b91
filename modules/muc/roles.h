// SPDX-License-Identifier: MIT
// XEP-0045 §5: affiliations (long-lived, by bare JID) and roles (per visit), and who may change
// which. Pure functions over the actor's and the target's standing: tested row by row
// (tests/unit/modules/muc_roles_test.cpp), as the presence state machine is.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "xmpp/stanza_error.h"

namespace tern::modules::muc {

// Ordered: a higher value is a higher standing (outcast lowest).
enum class Affiliation : std::uint8_t { Outcast, None, Member, Admin, Owner };
enum class Role : std::uint8_t { None, Visitor, Participant, Moderator };

std::string_view affiliation_name(Affiliation affiliation);
std::string_view role_name(Role role);
std::optional<Affiliation> parse_affiliation(std::string_view name);
std::optional<Role> parse_role(std::string_view name);

// §5.1.2: the role an occupant gets on entering: owners and admins moderate; members take part;
// others take part unless the room is moderated, where they are visitors. Outcasts never enter.
Role default_role(Affiliation affiliation, bool moderated);

// One occupant's standing in the room.
struct Standing {
  Affiliation affiliation = Affiliation::None;
  Role role = Role::None;
};

// §8.2–8.6, §9.6–9.7: may `actor` give `target` the role `to` (None kicks)? nullopt when allowed,
// else the error the XEP gives.
std::optional<xmpp::StanzaError> check_role_change(Standing actor, Standing target, Role to);

// §9.1–9.5, §10.3–10.7: may a user affiliated `actor` change an affiliation from `from` to `to`?
// `self`: the target is the actor; `last_owner`: the target is the room's only owner. nullopt
// when allowed.
std::optional<xmpp::StanzaError> check_affiliation_change(Affiliation actor, Affiliation from,
                                                          Affiliation to, bool self,
                                                          bool last_owner);

}  // namespace tern::modules::muc
