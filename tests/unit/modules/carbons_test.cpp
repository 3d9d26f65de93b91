// SPDX-License-Identifier: MIT
// The carbons module (XEP-0280) on the module harness (fake sessions): enabling and
// disabling, who gets <sent/> and <received/> copies and what they look like, and <private/>.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/modules/module_harness.h"
#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

using xmpp::Jid;
using xmpp::StanzaPtr;

Jid jid(std::string_view text) {
  return Jid::parse(text).value();
}

class CarbonsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services.connect("juliet@example.com/phone", true);
    services.connect("juliet@example.com/laptop", true);
    services.connect("juliet@example.com/tablet", true);  // never enables carbons
    services.connect("juliet@example.com/watch", false);  // enables them, but is not available
    services.connect("romeo@example.com/home", true);
    harness.restart({"carbons"});  // now that the sessions are there
    host = &harness.host();
    for (const char* resource : {"phone", "laptop", "watch"}) {
      ASSERT_EQ(switch_carbons(std::string("juliet@example.com/") + resource, "enable")->type(),
                "result");
    }
  }

  StanzaPtr switch_carbons(const std::string& from, std::string_view verb,
                           std::string_view to = {}) {
    std::string xml = "<iq type='set' id='c1'";
    if (!to.empty()) {
      xml += " to='" + std::string(to) + "'";
    }
    xml += "><" + std::string(verb) + " xmlns='urn:xmpp:carbons:2'/></iq>";
    StanzaPtr iq = xmpp::testing::parse_one(xml);
    StanzaPtr reply;
    EXPECT_TRUE(host->dispatch_iq(iq->root(), Addressed::ToAccount, jid(from),
                                  [&](StanzaPtr r) { reply = std::move(r); }));
    return reply;
  }

  // The router's order for a message to a local account: inbound hooks, then delivery.
  void deliver(StanzaPtr& message, const std::vector<Jid>& to) {
    ASSERT_EQ(host->run_inbound(message), Verdict::Continue);
    host->run_message_delivered(MessageDelivered{*message, to});
  }

  void TearDown() override { EXPECT_TRUE(services.take_routed().empty()) << "carbons never route"; }

  testing::ModuleHarness harness{{"carbons"}};
  testing::FakeServices& services = harness.services();
  core::ModuleHost* host = nullptr;
};

// The one copy, checked for XEP-0280 §7/§8's shape: from the bare JID, to the resource, same
// type, the original whole inside <wrapper><forwarded/></wrapper>.
void expect_carbon(const std::pair<std::string, StanzaPtr>& sent, std::string_view to,
                   std::string_view wrapper, const xmpp::Stanza& original) {
  EXPECT_EQ(sent.first, to);
  const xmpp::Element& root = sent.second->root();
  EXPECT_EQ(root.name(), "message");
  EXPECT_EQ(root.attr("from"), "juliet@example.com");
  EXPECT_EQ(root.attr("to"), to);
  EXPECT_EQ(root.attr("type"), original.type());
  const xmpp::Element* wrap = root.child(wrapper, "urn:xmpp:carbons:2");
  ASSERT_NE(wrap, nullptr);
  const xmpp::Element* forwarded = wrap->child("forwarded", "urn:xmpp:forward:0");
  ASSERT_NE(forwarded, nullptr);
  ASSERT_NE(forwarded->first_child(), nullptr);
  EXPECT_TRUE(xmpp::equal_trees(*forwarded->first_child(), original.root()));
}

TEST_F(CarbonsTest, ReceivedMessageIsCopiedToOtherEnabledAvailableResources) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com/phone' id='m1'>"
      "<body>Wherefore art thou?</body></message>");
  StanzaPtr original = message->clone();
  deliver(message, {jid("juliet@example.com/phone")});
  auto sent = services.take_sent();
  ASSERT_EQ(sent.size(), 1U);  // not phone (has it), tablet (disabled), watch (unavailable)
  expect_carbon(sent[0], "juliet@example.com/laptop", "received", *original);
}

TEST_F(CarbonsTest, MessageDeliveredToSeveralResourcesIsCopiedToNoneOfThem) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com'>"
      "<body>both</body></message>");
  deliver(message, {jid("juliet@example.com/phone"), jid("juliet@example.com/laptop")});
  EXPECT_TRUE(services.take_sent().empty());
}

TEST_F(CarbonsTest, SentMessageIsCopiedToTheSendersOtherResources) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message from='juliet@example.com/phone' to='romeo@example.com'>"
      "<body>Good night</body></message>");
  StanzaPtr original = message->clone();
  EXPECT_EQ(host->run_outbound(message), Verdict::Continue);
  ASSERT_NE(message, nullptr);
  EXPECT_TRUE(xmpp::equal_trees(message->root(), original->root()));  // routed as it was
  auto sent = services.take_sent();
  ASSERT_EQ(sent.size(), 1U);
  expect_carbon(sent[0], "juliet@example.com/laptop", "sent", *original);
}

TEST_F(CarbonsTest, SenderWithoutCarbonsStillHasItsMessagesCopied) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='juliet@example.com/tablet' to='romeo@example.com'>"
      "<body>from the tablet</body></message>");
  host->run_outbound(message);
  auto sent = services.take_sent();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].first, "juliet@example.com/phone");
  EXPECT_EQ(sent[1].first, "juliet@example.com/laptop");
}

TEST_F(CarbonsTest, MessageToOwnResourceIsCopiedOnceAndNotBackToItsSender) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='juliet@example.com/phone' to='juliet@example.com/tablet'>"
      "<body>note to self</body></message>");
  host->run_outbound(message);
  EXPECT_TRUE(services.take_sent().empty());
  deliver(message, {jid("juliet@example.com/tablet")});
  auto sent = services.take_sent();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].first, "juliet@example.com/laptop");
}

TEST_F(CarbonsTest, PrivateMessagesAreNotCopiedAndLoseTheMarkerOnDelivery) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com/phone'>"
      "<body>secret</body><private xmlns='urn:xmpp:carbons:2'/>"
      "<no-copy xmlns='urn:xmpp:hints'/></message>");
  deliver(message, {jid("juliet@example.com/phone")});
  EXPECT_TRUE(services.take_sent().empty());
  EXPECT_EQ(message->root().child("private", "urn:xmpp:carbons:2"), nullptr);  // §9: SHOULD
  EXPECT_NE(message->root().child("no-copy", "urn:xmpp:hints"), nullptr);

  StanzaPtr sent_private = xmpp::testing::parse_one(
      "<message type='chat' from='juliet@example.com/phone' to='romeo@example.com'>"
      "<body>secret</body><private xmlns='urn:xmpp:carbons:2'/></message>");
  host->run_outbound(sent_private);
  EXPECT_TRUE(services.take_sent().empty());
  // The sending server leaves it in place (only the receiving server removes it).
  EXPECT_NE(sent_private->root().child("private", "urn:xmpp:carbons:2"), nullptr);

  // The next message is copied again.
  StanzaPtr next = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com/phone'>"
      "<body>public</body></message>");
  deliver(next, {jid("juliet@example.com/phone")});
  EXPECT_EQ(services.take_sent().size(), 1U);
}

TEST_F(CarbonsTest, PrivateMarkerAloneIsEnough) {
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com/phone'>"
      "<body>secret</body><private xmlns='urn:xmpp:carbons:2'/></message>");
  deliver(message, {jid("juliet@example.com/phone")});
  EXPECT_TRUE(services.take_sent().empty());
}

TEST_F(CarbonsTest, DisableStopsCopiesToThatResourceOnly) {
  ASSERT_EQ(switch_carbons("juliet@example.com/laptop", "disable")->type(), "result");
  ASSERT_EQ(switch_carbons("juliet@example.com/laptop", "disable")->type(), "result");  // §10.1
  StanzaPtr message = xmpp::testing::parse_one(
      "<message type='chat' from='romeo@example.com/home' to='juliet@example.com/tablet'>"
      "<body>hello</body></message>");
  deliver(message, {jid("juliet@example.com/tablet")});
  auto sent = services.take_sent();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].first, "juliet@example.com/phone");
}

TEST_F(CarbonsTest, OwnBareJidMayBeAddressedButNotSomeoneElses) {
  EXPECT_EQ(switch_carbons("juliet@example.com/tablet", "enable", "juliet@example.com")->type(),
            "result");
  StanzaPtr refused = switch_carbons("juliet@example.com/tablet", "disable", "romeo@example.com");
  auto error = xmpp::StanzaError::from_stanza(refused->root());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->condition, xmpp::StanzaCondition::NotAllowed);
  EXPECT_TRUE(services.resources("juliet@example.com")[2].has_flag("carbons"));
}

TEST_F(CarbonsTest, AdvertisesTheFeature) {
  const auto& features = host->disco_features();
  EXPECT_NE(std::find(features.begin(), features.end(), "urn:xmpp:carbons:2"), features.end());
}

}  // namespace
}  // namespace tern::modules
