// SPDX-License-Identifier: MIT
// RFC 6121 §3 and §4: presence subscriptions and presence to contacts.
//   - Subscription stanzas a user sends (§3.1.2, §3.2.2, §3.3.2, §3.4) change the user's roster
//     item and are routed to the contact with the user's bare JID as 'from'; those arriving for
//     an account (§3.1.3, §3.1.6, §3.2.3, §3.3.3) change the owner's item and are delivered to
//     its available resources, or answered on its behalf (existing subscription, pre-approval).
//     Inbound requests nobody answered stay in the roster store (hidden items) and are delivered
//     again on each initial presence until answered.
//   - Broadcast presence goes to every contact with a 'from' subscription (§4.2.2, §4.4.2,
//     §4.5.2); initial presence probes the contacts the user is subscribed to (§4.3), and the
//     answer comes from the last presence of each of their available resources.
//   - Directed presence (§4.6) is remembered per resource so that the recipients also get
//     unavailable presence when the resource goes away.
//   - Order (§3.1.5-3.1.6): presence from a contact whose subscription stanza is still being
//     applied to the owner's roster waits for that write, newest per resource.
// The roster module keeps the rosters and applies the state machine (its RosterService).
#include "xmpp/presence.h"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules {
namespace {

using roster::RosterItem;
using roster::SubscriptionType;

class Presence final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    roster_ = ctx.service<roster::RosterService>("roster");
    ctx.add_stream_feature({xmpp::ns::kPreApproval, "sub"});
    // Handle: subscriptions and probes are this module's to take, after blocking (Refuse).
    ctx.on_outbound(xmpp::StanzaKind::Presence, HookStage::Handle,
                    [this](xmpp::StanzaPtr& stanza) { return outbound(stanza); });
    ctx.on_inbound(xmpp::StanzaKind::Presence, HookStage::Handle,
                   [this](xmpp::StanzaPtr& stanza) { return inbound(stanza); });
    ctx.on_presence_broadcast(HookStage::Observe,
                              [this](const PresenceBroadcast& b) { broadcast(b); });
    // RFC 6121 §4.6.3: a session that sent directed presence ends; the entities it reached hear
    // it leave even when it never sent broadcast presence (a client that only entered a room).
    ctx.on_session_ended(HookStage::Observe, [this](const SessionEvent& e) {
      auto it = directed_.find(std::string(e.jid.full()));
      if (it == directed_.end()) {
        return;
      }
      for (const std::string& target : it->second) {
        ctx_->route(xmpp::make_presence(e.jid.full(), target, "unavailable"));
      }
      directed_.erase(it);
    });
  }

 private:
  // --- The user's server: presence a local client sent with a 'to' ---

  Verdict outbound(xmpp::StanzaPtr& stanza) {
    const xmpp::Jid* from = stanza->from_jid();
    const xmpp::Jid* to = stanza->to_jid();
    if (!from || !to) {
      return Verdict::Continue;
    }
    std::string_view type = stanza->type();
    if (auto sub = roster::parse_subscription_type(type)) {
      outbound_subscription(std::move(stanza), std::string(from->bare_view()),
                            std::string(to->bare_view()), *sub);
      return Verdict::Handled;
    }
    if (type.empty()) {
      directed_[std::string(from->full())].insert(std::string(to->full()));  // §4.6.2
    } else if (type == "unavailable") {
      auto it = directed_.find(std::string(from->full()));
      if (it != directed_.end()) {
        it->second.erase(std::string(to->full()));
      }
    }
    return Verdict::Continue;
  }

  void outbound_subscription(xmpp::StanzaPtr stanza, const std::string& user,
                             const std::string& contact, SubscriptionType type) {
    if (user == contact) {
      return;  // one's own presence needs no subscription
    }
    // §3.1.2: routed with the user's bare JID and to the contact's bare JID.
    stanza->root().set_attr("from", user).set_attr("to", contact);
    std::shared_ptr<xmpp::Stanza> shared(stanza.release());
    roster_->apply_outbound(
        user, contact, type,
        [this, user, contact, shared](bool committed, const roster::OutboundOutcome& outcome) {
          if (!committed) {
            return;
          }
          if (outcome.forward) {
            ctx_->route(shared->clone());
          }
          if (outcome.send_presence) {
            send_available_presence(user, contact);
          }
          if (outcome.send_unavailable) {
            send_unavailable_presence(user, contact);
          }
        });
  }

  // --- The contact's server: presence for an account of this host ---

  Verdict inbound(xmpp::StanzaPtr& stanza) {
    std::string_view type = stanza->type();
    auto sub = roster::parse_subscription_type(type);
    if (!sub && type != "probe") {
      // Available, unavailable, error: delivered by the router, but never ahead of a
      // subscription stanza from the same contact whose roster change is still committing.
      // Nearly always nothing is committing: then this costs one emptiness check.
      if (!in_flight_.empty() && hold_behind_subscription(stanza)) {
        return Verdict::Handled;
      }
      return Verdict::Continue;
    }
    const xmpp::Jid* from = stanza->from_jid();
    const xmpp::Jid* to = stanza->to_jid();
    if (!from || !to) {
      return Verdict::Handled;
    }
    std::string owner = std::string(to->bare_view());
    if (!ctx_->account_exists(owner)) {
      if (sub == SubscriptionType::Subscribe) {
        // No such account: the request is refused on its behalf (Prosody and ejabberd do).
        ctx_->route(xmpp::make_presence(owner, std::string(from->bare_view()), "unsubscribed"));
      }
      return Verdict::Handled;
    }
    if (sub) {
      inbound_subscription(std::move(stanza), owner, std::string(from->bare_view()), *sub);
    } else {
      answer_probe(owner, *from);
    }
    return Verdict::Handled;
  }

  void inbound_subscription(xmpp::StanzaPtr stanza, const std::string& owner,
                            const std::string& contact, SubscriptionType type) {
    stanza->root().set_attr("from", contact).set_attr("to", owner);
    std::shared_ptr<xmpp::Stanza> shared(stanza.release());
    std::string pair = pair_key(owner, contact);
    ++in_flight_[pair].changes;
    roster_->apply_inbound(
        owner, contact, type,
        [this, owner, contact, shared, pair](bool committed,
                                             const roster::InboundOutcome& outcome) {
          if (committed) {
            inbound_change_applied(owner, contact, outcome, *shared);
          }
          release_held(pair);  // presence held behind this change goes out after it
        });
  }

  void inbound_change_applied(const std::string& owner, const std::string& contact,
                              const roster::InboundOutcome& outcome, const xmpp::Stanza& stanza) {
    if (outcome.deliver) {
      for (const ResourceInfo& r : ctx_->resources(owner)) {
        if (r.available) {
          ctx_->send_to_session(r.jid, stanza.clone());
        }
      }
    }
    if (outcome.auto_reply_subscribed) {
      ctx_->route(xmpp::make_presence(owner, contact, "subscribed"));
      send_available_presence(owner, contact);
    }
    if (outcome.send_unavailable) {
      send_unavailable_presence(owner, contact);
    }
  }

  // §4.3.2: a probe is answered with the presence of the owner's available resources, and
  // only to someone who may see it.
  void answer_probe(const std::string& owner, const xmpp::Jid& prober) {
    if (roster_->may_see_presence(prober, owner)) {
      send_available_presence(owner, prober.full());
    }
  }

  // --- Broadcast presence of a local resource ---

  void broadcast(const PresenceBroadcast& b) {
    std::string user = std::string(b.from.bare_view());
    std::vector<RosterItem> items;
    if (auto txn = ctx_->read()) {
      items = roster_->items(*txn, user);
    }
    for (const RosterItem& item : items) {
      if (roster::has_from(item.subscription)) {
        ctx_->route(xmpp::readdressed(b.presence, item.jid));
      }
    }
    if (b.change == PresenceChange::Initial) {
      for (const RosterItem& item : items) {
        if (roster::has_to(item.subscription)) {
          ctx_->route(xmpp::make_presence(b.from.full(), item.jid, "probe"));
        }
        if (item.pending_in) {  // §3.1.3: requests waiting for an answer
          ctx_->send_to_session(b.from, xmpp::make_presence(item.jid, user, "subscribe"));
        }
      }
    }
    if (b.change == PresenceChange::Unavailable) {
      auto it = directed_.find(std::string(b.from.full()));
      if (it != directed_.end()) {
        for (const std::string& target : it->second) {
          ctx_->route(xmpp::readdressed(b.presence, target));
        }
        directed_.erase(it);
      }
    }
  }

  // --- Ordering (RFC 6121 §3.1.6 then §3.1.5's presence) ---

  // The contact's server sends `subscribed` and then the contact's available presence; the
  // user's server must deliver the `subscribed` and push the roster item before that presence
  // reaches the user. The roster write is asynchronous, so presence from a contact whose
  // subscription stanza is still being applied for this owner waits here, in arrival order.
  static std::string pair_key(std::string_view owner, std::string_view contact) {
    std::string key(owner);
    key += '\x01';  // cannot occur in a JID
    key += contact;
    return key;
  }

  bool hold_behind_subscription(xmpp::StanzaPtr& stanza) {
    const xmpp::Jid* from = stanza->from_jid();
    const xmpp::Jid* to = stanza->to_jid();
    if (!from || !to) {
      return false;
    }
    auto it = in_flight_.find(pair_key(to->bare_view(), from->bare_view()));
    if (it == in_flight_.end()) {
      return false;
    }
    // Presence is state: a newer one from the same resource replaces the one held, so what is
    // held is bounded by the contact's resources (c2s.max_sessions_per_account).
    std::vector<xmpp::StanzaPtr>& held = it->second.held;
    auto same_sender = std::find_if(held.begin(), held.end(), [&](const xmpp::StanzaPtr& p) {
      return p->from() == stanza->from();
    });
    if (same_sender != held.end()) {
      held.erase(same_sender);
    }
    held.push_back(std::move(stanza));
    return true;
  }

  void release_held(const std::string& pair) {
    auto it = in_flight_.find(pair);
    if (it == in_flight_.end() || --it->second.changes > 0) {
      return;
    }
    std::vector<xmpp::StanzaPtr> held = std::move(it->second.held);
    in_flight_.erase(it);
    for (xmpp::StanzaPtr& presence : held) {
      ctx_->route(std::move(presence));
    }
  }

  // --- Helpers ---

  // The last presence of each available resource of `user`, sent to `to`.
  // §3.2.2 and §3.3.3: `to` may no longer see `user`'s presence; each available resource says
  // it is gone.
  void send_unavailable_presence(const std::string& user, const std::string& to) {
    for (const ResourceInfo& r : ctx_->resources(user)) {
      if (r.available) {
        ctx_->route(xmpp::make_presence(r.jid.full(), to, "unavailable"));
      }
    }
  }

  void send_available_presence(const std::string& user, std::string_view to) {
    for (const ResourceInfo& r : ctx_->resources(user)) {
      if (r.available && r.presence) {
        ctx_->route(xmpp::readdressed(*r.presence, to));
      }
    }
  }

  ModuleContext* ctx_ = nullptr;
  roster::RosterService* roster_ = nullptr;  // the roster module's, taken in start()
  struct InFlight {
    int changes = 0;                    // inbound subscription changes not yet applied
    std::vector<xmpp::StanzaPtr> held;  // presence from the contact, to route after them
  };
  // owner '\x01' contact (bare JIDs) → subscription changes being applied for the owner.
  std::unordered_map<std::string, InFlight> in_flight_;
  // §4.6: full JID of a resource of this worker → whom it sent directed available presence.
  std::unordered_map<std::string, std::set<std::string>> directed_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Presence, presence, "RFC 6121 subscriptions, probes and presence to contacts", "roster")
