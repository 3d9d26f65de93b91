// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "modules/push/room_nicks.h"
#include "tests/unit/xmpp/test_sink.h"

namespace tern::modules::push {
namespace {

xmpp::Jid jid(std::string_view text) {
  return xmpp::Jid::parse(text).value();
}

void send(RoomNicks& nicks, std::string_view xml, std::string_view from, std::string_view to) {
  xmpp::StanzaPtr presence = xmpp::testing::parse_one(xml);
  EXPECT_TRUE(nicks.presence_sent(*presence, jid(from), jid(to), 10));
}

TEST(RoomNicks, FollowsEnteringRenamingAndLeaving) {
  RoomNicks nicks;
  const char* phone = "juliet@example.org/phone";
  send(nicks, "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>", phone,
       "room@conference.example.org/Jule");
  EXPECT_EQ(nicks.nick(jid(phone), "room@conference.example.org"), "Jule");
  send(nicks, "<presence/>", phone, "room@conference.example.org/Juliet");  // §7.6
  EXPECT_EQ(nicks.nick(jid(phone), "room@conference.example.org"), "Juliet");
  EXPECT_EQ(nicks.nick(jid("juliet@example.org/desk"), "room@conference.example.org"),
            std::nullopt);
  send(nicks, "<presence type='unavailable'/>", phone, "room@conference.example.org/Juliet");
  EXPECT_EQ(nicks.nick(jid(phone), "room@conference.example.org"), std::nullopt);
}

TEST(RoomNicks, DirectedPresenceToAContactIsNoRoom) {
  RoomNicks nicks;
  send(nicks, "<presence/>", "juliet@example.org/phone", "romeo@example.net/orchard");
  EXPECT_EQ(nicks.nick(jid("juliet@example.org/phone"), "romeo@example.net"), std::nullopt);
}

TEST(RoomNicks, ASessionThatEndsLeavesEveryRoom) {
  RoomNicks nicks;
  const char* phone = "juliet@example.org/phone";
  send(nicks, "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>", phone,
       "a@conference.example.org/J");
  nicks.session_ended(jid(phone));
  EXPECT_EQ(nicks.nick(jid(phone), "a@conference.example.org"), std::nullopt);
}

TEST(RoomNicks, ASessionIsFollowedInAtMostMaxRooms) {
  RoomNicks nicks;
  const char* phone = "juliet@example.org/phone";
  xmpp::StanzaPtr enter =
      xmpp::testing::parse_one("<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  EXPECT_TRUE(nicks.presence_sent(*enter, jid(phone), jid("a@conference.example.org/J"), 2));
  EXPECT_TRUE(nicks.presence_sent(*enter, jid(phone), jid("b@conference.example.org/J"), 2));
  EXPECT_FALSE(nicks.presence_sent(*enter, jid(phone), jid("c@conference.example.org/J"), 2));
  EXPECT_EQ(nicks.nick(jid(phone), "c@conference.example.org"), std::nullopt);
  EXPECT_EQ(nicks.nick(jid(phone), "b@conference.example.org"), "J");
  // Leaving one makes room for another.
  xmpp::StanzaPtr leave = xmpp::testing::parse_one("<presence type='unavailable'/>");
  EXPECT_TRUE(nicks.presence_sent(*leave, jid(phone), jid("a@conference.example.org/J"), 2));
  EXPECT_TRUE(nicks.presence_sent(*enter, jid(phone), jid("c@conference.example.org/J"), 2));
  EXPECT_EQ(nicks.nick(jid(phone), "c@conference.example.org"), "J");
}

TEST(Mentions, TheNicknameAsAWordOfItsOwn) {
  EXPECT_TRUE(mentions("Julia, are you there?", "Julia"));
  EXPECT_TRUE(mentions("ask julia and Julia", "Julia"));
  EXPECT_TRUE(mentions("@Julia", "Julia"));
  EXPECT_FALSE(mentions("Juliana is late", "Julia"));
  EXPECT_FALSE(mentions("ExJulia", "Julia"));
  EXPECT_FALSE(mentions("julia", "Julia"));      // as written: nicknames are exact
  EXPECT_TRUE(mentions("ping [bot]", "[bot]"));  // a nickname of punctuation at its edges
  EXPECT_FALSE(mentions("anything", ""));
}

}  // namespace
}  // namespace tern::modules::push
