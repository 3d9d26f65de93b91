// SPDX-License-Identifier: MIT
// Subscription transitions. Section numbers are RFC 6121's.
#include "modules/roster/subscription.h"

namespace tern::modules::roster {
namespace {

Subscription add_to(Subscription s) {
  return s == Subscription::From || s == Subscription::Both ? Subscription::Both : Subscription::To;
}
Subscription add_from(Subscription s) {
  return s == Subscription::To || s == Subscription::Both ? Subscription::Both : Subscription::From;
}
Subscription drop_to(Subscription s) {
  return s == Subscription::From || s == Subscription::Both ? Subscription::From
                                                            : Subscription::None;
}
Subscription drop_from(Subscription s) {
  return s == Subscription::To || s == Subscription::Both ? Subscription::To : Subscription::None;
}

}  // namespace

OutboundOutcome apply_outbound(RosterItem& item, SubscriptionType type) {
  const RosterItem before = item;
  OutboundOutcome out;
  switch (type) {
    case SubscriptionType::Subscribe:
      // §3.1.2: the contact appears in the roster with ask='subscribe' unless already
      // subscribed; the request is routed in any case (the contact's server answers for an
      // existing subscription, §3.1.3).
      item.visible = true;
      if (!has_to(item.subscription)) {
        item.ask = true;
      }
      out.forward = true;
      break;
    case SubscriptionType::Subscribed:
      if (item.pending_in) {
        // §3.1.5: approving the contact's request.
        item.pending_in = false;
        item.subscription = add_from(item.subscription);
        item.approved = false;
        item.visible = true;
        out.forward = true;
        out.send_presence = true;
      } else if (!has_from(item.subscription)) {
        // §3.4: no request yet, so this pre-approves one; nothing is sent.
        item.approved = true;
        item.visible = true;
      }
      break;
    case SubscriptionType::Unsubscribe:
      // §3.3.2: the user no longer wants the contact's presence.
      item.subscription = drop_to(item.subscription);
      item.ask = false;
      out.forward = true;
      break;
    case SubscriptionType::Unsubscribed:
      // §3.2.2: cancelling the contact's subscription, or denying (§3.1.5) or withdrawing a
      // pre-approval (§3.4).
      out.forward = item.pending_in || has_from(item.subscription);
      out.send_unavailable = has_from(item.subscription);
      item.subscription = drop_from(item.subscription);
      item.pending_in = false;
      item.approved = false;
      break;
  }
  out.changed = !(item == before);
  return out;
}

InboundOutcome apply_inbound(RosterItem& item, SubscriptionType type) {
  const RosterItem before = item;
  InboundOutcome in;
  switch (type) {
    case SubscriptionType::Subscribe:
      if (has_from(item.subscription)) {
        in.auto_reply_subscribed = true;  // §3.1.3: already subscribed
      } else if (item.approved) {
        // §3.4: pre-approved.
        item.approved = false;
        item.subscription = add_from(item.subscription);
        in.auto_reply_subscribed = true;
      } else {
        // §3.1.3: kept until the owner answers, delivered to the owner's available resources
        // now and on each initial presence until then; a repeated request is not delivered
        // again (A.2.1: no state change).
        in.deliver = !item.pending_in;
        item.pending_in = true;
      }
      break;
    case SubscriptionType::Subscribed:
      // §3.1.6: only an answer to a request the owner made changes anything.
      if (item.ask) {
        item.ask = false;
        item.subscription = add_to(item.subscription);
        in.deliver = true;
      }
      break;
    case SubscriptionType::Unsubscribe:
      // §3.3.3: the contact stops seeing the owner's presence (or withdraws a pending request).
      if (has_from(item.subscription) || item.pending_in) {
        // "Generate an outbound presence stanza of type "unavailable" from each of the
        // contact's available resources to the user" (the contact here is the owner).
        in.send_unavailable = has_from(item.subscription);
        item.subscription = drop_from(item.subscription);
        item.pending_in = false;
        in.deliver = true;
      }
      break;
    case SubscriptionType::Unsubscribed:
      // §3.2.3: the owner no longer sees the contact's presence (or was denied).
      if (has_to(item.subscription) || item.ask) {
        item.subscription = drop_to(item.subscription);
        item.ask = false;
        in.deliver = true;
      }
      break;
  }
  in.changed = !(item == before);
  return in;
}

}  // namespace tern::modules::roster
