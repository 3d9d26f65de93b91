// SPDX-License-Identifier: MIT
// Who may read a PEP node (XEP-0060 §4.5 access models as XEP-0163 §5 profiles them): the owner
// always; with 'open' anyone; with 'presence' a contact the owner's roster lets see its presence
// (a 'from' or 'both' subscription); with 'roster' a contact in one of the allowed roster groups;
// with 'whitelist' only the owner (its affiliations list holds nobody else). The same rule decides
// retrieval and notifications. A pure function: tested row by row.
#pragma once

#include <optional>

#include "modules/pep/node_config.h"
#include "modules/services/roster_service.h"
#include "xmpp/stanza_error.h"

namespace tern::modules::pep {

enum class Access : std::uint8_t {
  Allowed,
  PresenceSubscriptionRequired,  // §6.5.9.6
  NotInRosterGroup,              // §6.5.9.7
  ClosedNode,                    // §6.5.9.8
};

// `contact` is the requester's item in the owner's roster, if any.
Access access(const NodeConfig& config, bool is_owner,
              const std::optional<roster::RosterItem>& contact);

// The error XEP-0060 §6.5.9 gives for a refusal.
xmpp::StanzaError access_error(Access refusal);

}  // namespace tern::modules::pep
