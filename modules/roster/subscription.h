// SPDX-License-Identifier: MIT
// The RFC 6121 subscription state machine (§3 and the tables of Appendix A), as pure functions
// over one roster item. "Outbound" is the user's server handling a subscription stanza the user
// sent about `item` (its contact); "inbound" is the server of the roster's owner handling one that
// arrives from the contact. The caller stores the item, pushes it and sends what the outcome says.
#pragma once

#include <optional>
#include <string_view>

#include "modules/roster/roster_store.h"

namespace tern::modules::roster {

enum class SubscriptionType { Subscribe, Subscribed, Unsubscribe, Unsubscribed };

// "subscribe" → Subscribe …; nullopt for any other presence type.
std::optional<SubscriptionType> parse_subscription_type(std::string_view type);

struct OutboundOutcome {
  bool changed = false;  // store the item and push it to the owner's interested resources
  bool forward = false;  // route the stanza to the contact
  // After forwarding: the owner's available resources send their presence to the contact
  // (subscribed, §3.1.5) or unavailable presence (unsubscribed, §3.2.2).
  bool send_presence = false;
  bool send_unavailable = false;
};

struct InboundOutcome {
  bool changed = false;  // store the item and push it to the owner's interested resources
  bool deliver = false;  // deliver the stanza to the owner's available resources
  // Answer the contact with 'subscribed' on the owner's behalf, followed by the presence of the
  // owner's available resources (§3.1.3: already subscribed, or pre-approved).
  bool auto_reply_subscribed = false;
  // After delivering: the owner's available resources send the contact unavailable presence
  // (the contact unsubscribed from a subscription it had, §3.3.3).
  bool send_unavailable = false;
};

// `item` is the owner's item for the contact (a new invisible None item if there was none).
OutboundOutcome apply_outbound(RosterItem& item, SubscriptionType type);
InboundOutcome apply_inbound(RosterItem& item, SubscriptionType type);

}  // namespace tern::modules::roster
