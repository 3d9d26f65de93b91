// SPDX-License-Identifier: MIT
// XEP-0402 §5.3: legacy bookmarks in private storage and bookmarks 2 in PEP are one list. The
// conversions on their own, then the private, pep and roster modules together on the harness:
// a legacy set becomes the node's items (whitelist, never sent on presence), a bookmarks 2
// publish shows in a legacy get, a legacy rewrite keeps a room's <extensions/> and retracts the
// rooms it dropped, and the URLs stay in private storage.
#include "modules/private/bookmarks_compat.h"

#include <gtest/gtest.h>

#include "tests/unit/modules/module_harness.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kJuliet = "juliet@example.com/balcony";

std::string legacy(std::string_view type, std::string_view inner) {
  return "<iq type='" + std::string(type) +
         "' id='p'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
         std::string(inner) + "</storage></query></iq>";
}

constexpr std::string_view kItems =
    "<iq type='get' id='i'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items "
    "node='urn:xmpp:bookmarks:1'/></pubsub></iq>";

TEST(BookmarksCompat, ConferencesConvertBothWays) {
  xmpp::StanzaPtr storage = xmpp::testing::parse_one(
      "<storage xmlns='storage:bookmarks'><conference name='Council' autojoin='1' "
      "jid='council@chat.example.com'><nick>J</nick><password>pw</password></conference>"
      "<conference name='no room'/><url name='Site' url='https://example.com'/></storage>");
  const std::vector<pep::PepItem> existing{
      {"council@chat.example.com",
       "<conference xmlns='urn:xmpp:bookmarks:1'><extensions><state xmlns='urn:x'/>"
       "</extensions></conference>"}};
  auto items = bookmarks::to_items(storage->root(), existing);
  ASSERT_EQ(items.size(), 1U);  // the conference without a room is left out
  EXPECT_EQ(items[0].id, "council@chat.example.com");
  EXPECT_EQ(items[0].payload,
            "<conference xmlns='urn:xmpp:bookmarks:1' name='Council' autojoin='true'><nick>J</nick>"
            "<password>pw</password><extensions><state xmlns='urn:x'/></extensions></conference>");
  xmpp::StanzaPtr back = xmpp::Stanza::create("storage", bookmarks::kLegacyNs);
  bookmarks::add_conferences(back->root(), items);
  EXPECT_EQ(xmpp::to_xml(back->root()),
            "<storage xmlns='storage:bookmarks'><conference jid='council@chat.example.com' "
            "name='Council' autojoin='true'><nick>J</nick><password>pw</password></conference>"
            "</storage>");
  EXPECT_EQ(bookmarks::without_conferences(storage->root()),
            "<storage xmlns='storage:bookmarks'><url name='Site' url='https://example.com'/>"
            "</storage>");
}

class BookmarksCompatTest : public ::testing::Test {
 protected:
  std::string result_of(const xmpp::StanzaPtr& reply) {
    return reply == nullptr ? "(no reply)" : xmpp::to_xml(reply->root());
  }
  testing::ModuleHarness harness{{"private", "pep", "roster"}};
};

TEST_F(BookmarksCompatTest, ALegacySetBecomesTheNodesItems) {
  ASSERT_EQ(harness
                .iq(legacy("set",
                           "<conference jid='a@chat.example.com' autojoin='true'/>"
                           "<conference jid='b@chat.example.com'/><url url='https://x'/>"),
                    kJuliet)
                ->type(),
            "result");
  std::string items = result_of(harness.iq(kItems, kJuliet));
  EXPECT_NE(items.find("id='a@chat.example.com'"), std::string::npos) << items;
  EXPECT_NE(items.find("id='b@chat.example.com'"), std::string::npos) << items;
  // XEP-0402 §3.3's configuration: nobody else reads it.
  xmpp::StanzaPtr refused = harness.iq(
      "<iq type='get' id='i' to='juliet@example.com'><pubsub "
      "xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub>"
      "</iq>",
      "romeo@example.com/garden");
  EXPECT_EQ(xmpp::StanzaError::from_stanza(refused->root())->application.name, "closed-node");
  std::string got = result_of(harness.iq(legacy("get", ""), kJuliet));
  EXPECT_NE(got.find("jid='a@chat.example.com'"), std::string::npos) << got;
  EXPECT_NE(got.find("url='https://x'"), std::string::npos) << got;
}

TEST_F(BookmarksCompatTest, ALegacyRewriteKeepsExtensionsAndDropsTheRoomsItLeftOut) {
  ASSERT_EQ(harness
                .iq("<iq type='set' id='p'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    "<publish node='urn:xmpp:bookmarks:1'><item id='a@chat.example.com'>"
                    "<conference xmlns='urn:xmpp:bookmarks:1' name='A'><extensions><x "
                    "xmlns='urn:x'/></extensions></conference></item></publish>"
                    "<publish-options><x xmlns='jabber:x:data' type='submit'><field "
                    "var='FORM_TYPE' type='hidden'><value>"
                    "http://jabber.org/protocol/pubsub#publish-options</value></field><field "
                    "var='pubsub#max_items'><value>max</value></field><field "
                    "var='pubsub#access_model'><value>whitelist</value></field>"
                    "</x></publish-options></pubsub></iq>",
                    kJuliet)
                ->type(),
            "result");
  ASSERT_EQ(harness
                .iq("<iq type='set' id='p'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    "<publish node='urn:xmpp:bookmarks:1'><item id='b@chat.example.com'>"
                    "<conference xmlns='urn:xmpp:bookmarks:1'/></item></publish></pubsub></iq>",
                    kJuliet)
                ->type(),
            "result");
  std::string got = result_of(harness.iq(legacy("get", ""), kJuliet));
  EXPECT_NE(got.find("<conference jid='a@chat.example.com' name='A'"), std::string::npos) << got;
  ASSERT_EQ(harness.iq(legacy("set", "<conference jid='a@chat.example.com' name='A2'/>"), kJuliet)
                ->type(),
            "result");
  std::string items = result_of(harness.iq(kItems, kJuliet));
  EXPECT_NE(items.find("name='A2'"), std::string::npos) << items;
  EXPECT_NE(items.find("<extensions><x xmlns='urn:x'/></extensions>"), std::string::npos) << items;
  EXPECT_EQ(items.find("b@chat.example.com"), std::string::npos) << items;
}

TEST_F(BookmarksCompatTest, TheAccountSaysCompat) {
  // The feature is on the host's list for the account's disco#info (the disco module's).
  const auto& features = harness.host().account_disco_features();
  EXPECT_NE(std::find(features.begin(), features.end(), "urn:xmpp:bookmarks:1#compat"),
            features.end());
}

}  // namespace
}  // namespace tern::modules
