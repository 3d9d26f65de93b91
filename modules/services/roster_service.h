// SPDX-License-Identifier: MIT
// RosterService: what the roster module offers the modules that name it in their TERN_MODULE
// (presence, blocking, registration, last activity): the rosters as they are stored, the fact
// "may this JID see that account's presence", and the subscription state machine of RFC 6121 §3
// applied to an owner's roster (stored, and pushed to the owner's interested resources).
//
//   RosterService* roster = ctx.service<roster::RosterService>("roster");  // in start()
//   if (roster->may_see_presence(req.from(), owner)) { … }
//
// It lives apart from modules/roster/, whose files no other module includes; a module includes
// it only when its TERN_MODULE names "roster" (scripts/check_layering.sh).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::roster {

// RFC 6121 §2.1.2.5: whose presence each side sees. To: the owner sees the contact's; From: the
// contact sees the owner's.
enum class Subscription : std::uint8_t { None, To, From, Both };

inline bool has_to(Subscription s) {  // To or Both
  return s == Subscription::To || s == Subscription::Both;
}
inline bool has_from(Subscription s) {  // From or Both
  return s == Subscription::From || s == Subscription::Both;
}

struct RosterItem {
  std::string jid;  // the contact's bare JID
  std::string name;
  std::vector<std::string> groups;
  Subscription subscription = Subscription::None;
  bool ask = false;         // pending out: the owner asked to subscribe (ask='subscribe')
  bool pending_in = false;  // the contact asked to subscribe; the owner has not answered
  bool approved = false;    // the owner pre-approved the contact's request (§3.4)
  // Part of the roster the owner sees. An invisible item only remembers an inbound request that
  // waits for the owner's answer (§3.1.3: kept until answered, even across restarts).
  bool visible = true;

  friend bool operator==(const RosterItem&, const RosterItem&) = default;
};

enum class SubscriptionType : std::uint8_t { Subscribe, Subscribed, Unsubscribe, Unsubscribed };

// "subscribe" → Subscribe …; nullopt for any other presence type.
inline std::optional<SubscriptionType> parse_subscription_type(std::string_view type) {
  if (type == "subscribe") {
    return SubscriptionType::Subscribe;
  }
  if (type == "subscribed") {
    return SubscriptionType::Subscribed;
  }
  if (type == "unsubscribe") {
    return SubscriptionType::Unsubscribe;
  }
  if (type == "unsubscribed") {
    return SubscriptionType::Unsubscribed;
  }
  return std::nullopt;
}

// What the user's server does after a subscription stanza the user sent (§3.1.2, §3.2.2,
// §3.3.2, §3.4).
struct OutboundOutcome {
  bool changed = false;  // the item changed (it was stored, and pushed if the owner sees it)
  bool forward = false;  // route the stanza to the contact
  // After forwarding: the owner's available resources send their presence to the contact
  // (subscribed, §3.1.5) or unavailable presence (unsubscribed, §3.2.2).
  bool send_presence = false;
  bool send_unavailable = false;
};

// What the owner's server does after a subscription stanza from a contact (§3.1.3, §3.1.6,
// §3.2.3, §3.3.3).
struct InboundOutcome {
  bool changed = false;  // the item changed (it was stored, and pushed if the owner sees it)
  bool deliver = false;  // deliver the stanza to the owner's available resources
  // Answer the contact with 'subscribed' on the owner's behalf, followed by the presence of the
  // owner's available resources (§3.1.3: already subscribed, or pre-approved).
  bool auto_reply_subscribed = false;
  // After delivering: the owner's available resources send the contact unavailable presence
  // (the contact unsubscribed from a subscription it had, §3.3.3).
  bool send_unavailable = false;
};

// Runs on the caller's worker once the change committed (`committed`) or failed (nothing
// changed, nothing to send).
template <typename Outcome>
using SubscriptionDone = std::function<void(bool committed, const Outcome& outcome)>;

class RosterService {
 public:
  virtual ~RosterService() = default;

  // Every item of `owner`'s roster, invisible ones included, in contact order. `txn` may be a
  // write's (inside ctx.write) or a read's.
  virtual std::vector<RosterItem> items(const ReadTxn& txn, std::string_view owner) const = 0;
  virtual std::optional<RosterItem> item(const ReadTxn& txn, std::string_view owner,
                                         std::string_view contact) const = 0;

  // RFC 6121 §4.3.2 and §4.6: whether `viewer` may see the presence of the account `owner` (a
  // bare JID): its own account, or a contact with a 'from' subscription. Reads the store now;
  // false when it cannot be read (fails closed).
  virtual bool may_see_presence(const xmpp::Jid& viewer, std::string_view owner) const = 0;

  // The subscription state machine on `owner`'s item for `contact` (both bare JIDs), in a store
  // write; a change is pushed to the owner's interested resources before `done` runs. Changes of
  // one roster commit in the order asked.
  virtual void apply_outbound(const std::string& owner, const std::string& contact,
                              SubscriptionType type, SubscriptionDone<OutboundOutcome> done) = 0;
  virtual void apply_inbound(const std::string& owner, const std::string& contact,
                             SubscriptionType type, SubscriptionDone<InboundOutcome> done) = 0;

  // Inside the caller's write: forgets the unanswered requests from the contacts `from_whom`
  // selects (the owner blocked them: §3.1.3 keeps a request only until the owner decides).
  virtual Result<void, StoreError> withdraw_requests(
      WriteTxn& txn, std::string_view owner,
      const std::function<bool(std::string_view contact)>& from_whom) const = 0;
};

}  // namespace tern::modules::roster
