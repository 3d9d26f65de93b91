// SPDX-License-Identifier: MIT
// XEP-0280 §6: which messages are copied, one rule per case, in both directions.
#include <gtest/gtest.h>

#include <string_view>

#include "modules/carbons/eligibility.h"
#include "tests/unit/xmpp/test_sink.h"

namespace tern::modules::carbons {
namespace {

bool copied(std::string_view xml, Direction direction) {
  xmpp::StanzaPtr message = xmpp::testing::parse_one(xml);
  EXPECT_NE(message, nullptr) << xml;
  return message != nullptr && eligible(message->root(), direction);
}

bool copied_both_ways(std::string_view xml) {
  return copied(xml, Direction::Sent) && copied(xml, Direction::Received);
}

bool copied_neither_way(std::string_view xml) {
  return !copied(xml, Direction::Sent) && !copied(xml, Direction::Received);
}

TEST(CarbonsEligibility, ChatIsCopiedWithOrWithoutBody) {
  EXPECT_TRUE(copied_both_ways("<message type='chat'><body>hi</body></message>"));
  EXPECT_TRUE(copied_both_ways("<message type='chat'/>"));
}

TEST(CarbonsEligibility, NormalIsCopiedOnlyWithABody) {
  EXPECT_TRUE(copied_both_ways("<message type='normal'><body>hi</body></message>"));
  EXPECT_TRUE(copied_both_ways("<message><body>hi</body></message>"));  // no type: normal
  EXPECT_TRUE(copied_neither_way("<message><x xmlns='urn:example:other'/></message>"));
  EXPECT_TRUE(copied_neither_way("<message type='normal'/>"));
}

TEST(CarbonsEligibility, ImPayloadsAreCopiedWithoutABody) {
  EXPECT_TRUE(copied_both_ways("<message><received xmlns='urn:xmpp:receipts' id='a'/></message>"));
  EXPECT_TRUE(copied_both_ways(
      "<message><active xmlns='http://jabber.org/protocol/chatstates'/></message>"));
  EXPECT_TRUE(
      copied_both_ways("<message><displayed xmlns='urn:xmpp:chat-markers:0' id='a'/></message>"));
}

TEST(CarbonsEligibility, HeadlineWithoutImPayloadIsNotCopied) {
  EXPECT_TRUE(copied_neither_way("<message type='headline'><body>news</body></message>"));
}

TEST(CarbonsEligibility, GroupchatAndErrorsAreNotCopied) {
  EXPECT_TRUE(copied_neither_way("<message type='groupchat'><body>all</body></message>"));
  EXPECT_TRUE(copied_neither_way(
      "<message type='error'><body>hi</body><error type='cancel'>"
      "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"));
}

TEST(CarbonsEligibility, PrivateAndNoCopyAreNotCopied) {
  EXPECT_TRUE(copied_neither_way(
      "<message type='chat'><body>hi</body><private xmlns='urn:xmpp:carbons:2'/></message>"));
  EXPECT_TRUE(copied_neither_way(
      "<message type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>"));
}

TEST(CarbonsEligibility, CarbonsAreNotCopiedAgain) {
  EXPECT_TRUE(copied_neither_way(
      "<message type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
      "<message type='chat'><body>hi</body></message></forwarded></sent></message>"));
  EXPECT_TRUE(
      copied_neither_way("<message type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>"));
}

TEST(CarbonsEligibility, PrivateMessagesOfMucOccupantsAreCopiedOnlyWhenSent) {
  constexpr std::string_view kFromOccupant =
      "<message type='chat' from='room@muc.example/nurse'><body>psst</body>"
      "<x xmlns='http://jabber.org/protocol/muc#user'/></message>";
  EXPECT_FALSE(copied(kFromOccupant, Direction::Received));
  constexpr std::string_view kToOccupant =
      "<message type='chat' from='juliet@example/phone' to='room@muc.example/nurse'>"
      "<body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>";
  EXPECT_TRUE(copied(kToOccupant, Direction::Sent));
}

TEST(CarbonsEligibility, InvitationsAreCopied) {
  EXPECT_TRUE(copied_both_ways(
      "<message from='room@muc.example'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<invite from='romeo@example/home'/></x></message>"));
  EXPECT_TRUE(
      copied_both_ways("<message from='romeo@example/home'><x xmlns='jabber:x:conference' "
                       "jid='room@muc.example'/></message>"));
}

}  // namespace
}  // namespace tern::modules::carbons
