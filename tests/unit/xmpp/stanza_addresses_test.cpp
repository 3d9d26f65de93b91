// SPDX-License-Identifier: MIT
// Stanza::to_jid() and from_jid(): parsed and prepared once per value, parsed again when the
// attribute changed, null when absent or not a JID, seeded by stamp_from; a clone has its own.
#include <gtest/gtest.h>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/stanza.h"

namespace tern::xmpp {
namespace {

TEST(StanzaAddresses, ParsedAndPreparedOncePerValue) {
  StanzaPtr s = testing::parse_one(
      "<message to='Juliet@Example.COM/Balcony' from='romeo@example.net/garden'/>");
  const Jid* to = s->to_jid();
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(to->full(), "juliet@example.com/Balcony");
  EXPECT_EQ(s->to_jid(), to);  // the same parse, not a new one
  EXPECT_EQ(s->from_jid()->bare_view(), "romeo@example.net");
}

TEST(StanzaAddresses, AChangedAttributeIsParsedAgain) {
  StanzaPtr s = testing::parse_one("<presence to='juliet@example.com'/>");
  ASSERT_EQ(s->to_jid()->full(), "juliet@example.com");
  s->root().set_attr("to", "nurse@example.com/kitchen");
  ASSERT_NE(s->to_jid(), nullptr);
  EXPECT_EQ(s->to_jid()->full(), "nurse@example.com/kitchen");
  s->root().remove_attr("to");
  EXPECT_EQ(s->to_jid(), nullptr);
}

TEST(StanzaAddresses, AbsentOrInvalidIsNull) {
  StanzaPtr s = testing::parse_one("<iq type='get' id='1' to='a@b@c'/>");
  EXPECT_EQ(s->to_jid(), nullptr);
  EXPECT_EQ(s->from_jid(), nullptr);
}

TEST(StanzaAddresses, StampFromSeedsTheParseAndClonesParseTheirOwn) {
  StanzaPtr s = testing::parse_one("<message to='juliet@example.com'/>");
  Jid romeo = Jid::parse("romeo@example.net/garden").value();
  s->stamp_from(romeo);
  EXPECT_EQ(s->from(), "romeo@example.net/garden");
  EXPECT_EQ(*s->from_jid(), romeo);
  ASSERT_NE(s->to_jid(), nullptr);
  StanzaPtr copy = s->clone();
  EXPECT_EQ(copy->to_jid()->full(), "juliet@example.com");
  EXPECT_EQ(copy->from_jid()->full(), "romeo@example.net/garden");
  copy->root().set_attr("to", "nurse@example.com");
  EXPECT_EQ(copy->to_jid()->full(), "nurse@example.com");
  EXPECT_EQ(s->to_jid()->full(), "juliet@example.com");  // the original keeps its own
}

}  // namespace
}  // namespace tern::xmpp
