// SPDX-License-Identifier: MIT
// SessionRegistry: an account's first bound resource and its last unbound one are told apart
// (they raise the modules' account online and offline events), a replaced session is not the
// account's first, and a stale handle unbinds nothing.
#include "core/router/session_registry.h"

#include <gtest/gtest.h>

namespace tern::core {
namespace {

xmpp::Jid jid(std::string_view s) {
  return xmpp::Jid::parse(s).value();
}

TEST(SessionRegistry, FirstAndLastResourceOfAnAccount) {
  SessionRegistry registry;
  SessionHandle phone{0, 1};
  SessionHandle laptop{1, 2};
  EXPECT_TRUE(registry.bind(jid("juliet@example.com/phone"), phone).first);
  EXPECT_FALSE(registry.bind(jid("juliet@example.com/laptop"), laptop).first);
  EXPECT_TRUE(registry.bind(jid("romeo@example.com/garden"), SessionHandle{0, 3}).first);

  auto one = registry.unbind(jid("juliet@example.com/phone"), phone);
  EXPECT_TRUE(one.unbound);
  EXPECT_FALSE(one.last);
  auto two = registry.unbind(jid("juliet@example.com/laptop"), laptop);
  EXPECT_TRUE(two.unbound);
  EXPECT_TRUE(two.last);
  // Again: nothing is bound any more, so nothing is the last.
  auto again = registry.unbind(jid("juliet@example.com/laptop"), laptop);
  EXPECT_FALSE(again.unbound);
  EXPECT_FALSE(again.last);
}

TEST(SessionRegistry, AReplacedSessionIsNotTheFirstAndItsHandleUnbindsNothing) {
  SessionRegistry registry;
  SessionHandle old_session{0, 1};
  SessionHandle new_session{0, 2};
  ASSERT_TRUE(registry.bind(jid("juliet@example.com/phone"), old_session).first);
  auto replaced = registry.bind(jid("juliet@example.com/phone"), new_session);
  EXPECT_FALSE(replaced.first);
  ASSERT_TRUE(replaced.replaced.has_value());
  EXPECT_EQ(*replaced.replaced, old_session);
  // The old session closing later must leave its successor bound (and the account online).
  auto stale = registry.unbind(jid("juliet@example.com/phone"), old_session);
  EXPECT_FALSE(stale.unbound);
  EXPECT_FALSE(stale.last);
  EXPECT_EQ(registry.resources("juliet@example.com").size(), 1U);
  EXPECT_TRUE(registry.unbind(jid("juliet@example.com/phone"), new_session).last);
}

TEST(SessionRegistry, AvailabilityIsReportedOnUnbind) {
  SessionRegistry registry;
  SessionHandle phone{0, 1};
  registry.bind(jid("juliet@example.com/phone"), phone);
  std::shared_ptr<const xmpp::Stanza> presence(
      xmpp::Stanza::create("presence", "jabber:client").release());
  registry.set_presence(jid("juliet@example.com/phone"), phone, 0, presence);
  EXPECT_TRUE(registry.unbind(jid("juliet@example.com/phone"), phone).was_available);
}

}  // namespace
}  // namespace tern::core
