// SPDX-License-Identifier: MIT
// The subscription state machine against RFC 6121 Appendix A: for each state and each
// subscription stanza, the state after and what the server sends.
#include "modules/roster/subscription.h"

#include <gtest/gtest.h>

#include "modules/roster/roster_items.h"

namespace tern::modules::roster {
namespace {

using roster::RosterItem;
using roster::Subscription;
using T = SubscriptionType;

// The nine states of Appendix A.1, written the RFC's way.
enum class State {
  None,
  NonePendingOut,
  NonePendingIn,
  NonePendingOutIn,
  To,
  ToPendingIn,
  From,
  FromPendingOut,
  Both
};

RosterItem item_in(State s) {
  RosterItem item;
  item.jid = "contact@example.com";
  switch (s) {
    case State::None:
      break;
    case State::NonePendingOut:
      item.ask = true;
      break;
    case State::NonePendingIn:
      item.pending_in = true;
      break;
    case State::NonePendingOutIn:
      item.ask = item.pending_in = true;
      break;
    case State::To:
      item.subscription = Subscription::To;
      break;
    case State::ToPendingIn:
      item.subscription = Subscription::To;
      item.pending_in = true;
      break;
    case State::From:
      item.subscription = Subscription::From;
      break;
    case State::FromPendingOut:
      item.subscription = Subscription::From;
      item.ask = true;
      break;
    case State::Both:
      item.subscription = Subscription::Both;
      break;
  }
  return item;
}

void expect_state(const RosterItem& item, State s) {
  RosterItem want = item_in(s);
  EXPECT_EQ(item.subscription, want.subscription);
  EXPECT_EQ(item.ask, want.ask);
  EXPECT_EQ(item.pending_in, want.pending_in);
}

struct Row {
  State before;
  State after;
  bool deliver;  // inbound: delivered to the user; outbound: routed to the contact
};

// A.2.1 (inbound subscribe) … A.2.4, as the contact's server sees them. For "subscribe" in a
// From/Both state the server auto-replies instead of delivering.
TEST(SubscriptionInbound, SubscribeFollowsA21) {
  const Row rows[] = {
      {State::None, State::NonePendingIn, true},
      {State::NonePendingOut, State::NonePendingOutIn, true},
      {State::NonePendingIn, State::NonePendingIn, false},  // known: not delivered again
      {State::NonePendingOutIn, State::NonePendingOutIn, false},
      {State::To, State::ToPendingIn, true},
      {State::ToPendingIn, State::ToPendingIn, false},
      {State::From, State::From, false},
      {State::FromPendingOut, State::FromPendingOut, false},
      {State::Both, State::Both, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    InboundOutcome out = apply_inbound(item, T::Subscribe);
    expect_state(item, row.after);
    EXPECT_EQ(out.deliver, row.deliver);
    EXPECT_EQ(out.auto_reply_subscribed, roster::has_from(item.subscription));
  }
}

TEST(SubscriptionInbound, SubscribedFollowsA22) {
  const Row rows[] = {
      {State::None, State::None, false},
      {State::NonePendingOut, State::To, true},
      {State::NonePendingIn, State::NonePendingIn, false},
      {State::NonePendingOutIn, State::ToPendingIn, true},
      {State::To, State::To, false},
      {State::ToPendingIn, State::ToPendingIn, false},
      {State::From, State::From, false},
      {State::FromPendingOut, State::Both, true},
      {State::Both, State::Both, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    InboundOutcome out = apply_inbound(item, T::Subscribed);
    expect_state(item, row.after);
    EXPECT_EQ(out.deliver, row.deliver);
    EXPECT_EQ(out.changed, row.before != row.after);
  }
}

TEST(SubscriptionInbound, UnsubscribeFollowsA23) {
  const Row rows[] = {
      {State::None, State::None, false},
      {State::NonePendingOut, State::NonePendingOut, false},
      {State::NonePendingIn, State::None, true},
      {State::NonePendingOutIn, State::NonePendingOut, true},
      {State::To, State::To, false},
      {State::ToPendingIn, State::To, true},
      {State::From, State::None, true},
      {State::FromPendingOut, State::NonePendingOut, true},
      {State::Both, State::To, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    const bool had_from = roster::has_from(item.subscription);
    InboundOutcome out = apply_inbound(item, T::Unsubscribe);
    expect_state(item, row.after);
    EXPECT_EQ(out.deliver, row.deliver);
    // §3.3.3: a subscription the contact had ends with the owner's unavailable presence.
    EXPECT_EQ(out.send_unavailable, had_from);
  }
}

TEST(SubscriptionInbound, UnsubscribedFollowsA24) {
  const Row rows[] = {
      {State::None, State::None, false},
      {State::NonePendingOut, State::None, true},
      {State::NonePendingIn, State::NonePendingIn, false},
      {State::NonePendingOutIn, State::NonePendingIn, true},
      {State::To, State::None, true},
      {State::ToPendingIn, State::NonePendingIn, true},
      {State::From, State::From, false},
      {State::FromPendingOut, State::From, true},
      {State::Both, State::From, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    InboundOutcome out = apply_inbound(item, T::Unsubscribed);
    expect_state(item, row.after);
    EXPECT_EQ(out.deliver, row.deliver);
  }
}

// A.3: the user's server, for stanzas the user sends.
TEST(SubscriptionOutbound, SubscribeFollowsA31) {
  const Row rows[] = {
      {State::None, State::NonePendingOut, true},
      {State::NonePendingOut, State::NonePendingOut, true},
      {State::NonePendingIn, State::NonePendingOutIn, true},
      {State::NonePendingOutIn, State::NonePendingOutIn, true},
      {State::To, State::To, true},  // routed: the contact's server answers (§3.1.3)
      {State::ToPendingIn, State::ToPendingIn, true},
      {State::From, State::FromPendingOut, true},
      {State::FromPendingOut, State::FromPendingOut, true},
      {State::Both, State::Both, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    OutboundOutcome out = apply_outbound(item, T::Subscribe);
    expect_state(item, row.after);
    EXPECT_EQ(out.forward, row.deliver);
    EXPECT_TRUE(item.visible);
  }
}

TEST(SubscriptionOutbound, SubscribedApprovesAPendingRequestOrPreApproves) {
  const Row rows[] = {
      {State::NonePendingIn, State::From, true},
      {State::NonePendingOutIn, State::FromPendingOut, true},
      {State::ToPendingIn, State::Both, true},
      {State::From, State::From, false},
      {State::Both, State::Both, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.before));
    RosterItem item = item_in(row.before);
    OutboundOutcome out = apply_outbound(item, T::Subscribed);
    expect_state(item, row.after);
    EXPECT_EQ(out.forward, row.deliver);
    EXPECT_EQ(out.send_presence, row.deliver);  // §3.1.5: the new subscriber gets presence
    EXPECT_FALSE(item.approved);
  }
  // §3.4: with no request pending, 'subscribed' is a pre-approval, and nothing is sent.
  for (State s : {State::None, State::NonePendingOut, State::To}) {
    RosterItem item = item_in(s);
    OutboundOutcome out = apply_outbound(item, T::Subscribed);
    expect_state(item, s);
    EXPECT_TRUE(item.approved);
    EXPECT_TRUE(item.visible);
    EXPECT_FALSE(out.forward);
    // ...and the contact's later request is approved on the user's behalf.
    InboundOutcome in = apply_inbound(item, T::Subscribe);
    EXPECT_TRUE(in.auto_reply_subscribed);
    EXPECT_FALSE(in.deliver);
    EXPECT_TRUE(roster::has_from(item.subscription));
    EXPECT_FALSE(item.approved);
  }
}

TEST(SubscriptionOutbound, UnsubscribeAndUnsubscribedCancel) {
  RosterItem item = item_in(State::Both);
  OutboundOutcome out = apply_outbound(item, T::Unsubscribe);
  expect_state(item, State::From);
  EXPECT_TRUE(out.forward);
  EXPECT_FALSE(out.send_unavailable);

  item = item_in(State::Both);
  out = apply_outbound(item, T::Unsubscribed);
  expect_state(item, State::To);
  EXPECT_TRUE(out.forward);
  EXPECT_TRUE(out.send_unavailable);  // §3.2.2: the former subscriber sees the user go

  item = item_in(State::NonePendingIn);  // denying a request
  out = apply_outbound(item, T::Unsubscribed);
  expect_state(item, State::None);
  EXPECT_TRUE(out.forward);
  EXPECT_FALSE(out.send_unavailable);

  item = item_in(State::None);  // nothing to cancel: nothing sent
  out = apply_outbound(item, T::Unsubscribed);
  EXPECT_FALSE(out.forward);
  EXPECT_FALSE(out.changed);
}

TEST(SubscriptionType, ParsesTheFourTypesOnly) {
  EXPECT_EQ(parse_subscription_type("subscribe"), T::Subscribe);
  EXPECT_EQ(parse_subscription_type("subscribed"), T::Subscribed);
  EXPECT_EQ(parse_subscription_type("unsubscribe"), T::Unsubscribe);
  EXPECT_EQ(parse_subscription_type("unsubscribed"), T::Unsubscribed);
  EXPECT_FALSE(parse_subscription_type("probe").has_value());
  EXPECT_FALSE(parse_subscription_type("").has_value());
}

// An inbound request to a user in state To only sets pending-in, which the roster does not show:
// no roster push for it (a push would repeat the unchanged item).
TEST(Subscription, PendingInAloneChangesNothingTheOwnerSees) {
  RosterItem to = item_in(State::To);
  RosterItem to_pending_in = to;
  ASSERT_TRUE(apply_inbound(to_pending_in, T::Subscribe).changed);
  EXPECT_TRUE(to_pending_in.pending_in);
  EXPECT_TRUE(shows_the_same(to, to_pending_in));
  RosterItem none_pending_out = item_in(State::NonePendingOut);
  EXPECT_FALSE(shows_the_same(item_in(State::None), none_pending_out));
  EXPECT_FALSE(shows_the_same(to, item_in(State::Both)));
}

}  // namespace
}  // namespace tern::modules::roster
