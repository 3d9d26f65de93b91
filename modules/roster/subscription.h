// SPDX-License-Identifier: MIT
// The RFC 6121 subscription state machine (§3 and the tables of Appendix A), as pure functions
// over one roster item. "Outbound" is the user's server handling a subscription stanza the user
// sent about `item` (its contact); "inbound" is the server of the roster's owner handling one that
// arrives from the contact. The caller stores the item, pushes it and sends what the outcome says.
#pragma once

#include <optional>
#include <string_view>

#include "modules/services/roster_service.h"

namespace tern::modules::roster {

// `item` is the owner's item for the contact (a new invisible None item if there was none).
OutboundOutcome apply_outbound(RosterItem& item, SubscriptionType type);
InboundOutcome apply_inbound(RosterItem& item, SubscriptionType type);

}  // namespace tern::modules::roster
