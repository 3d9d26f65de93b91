// SPDX-License-Identifier: MIT
// The pep module on the module harness with the roster module, over a real store: auto-create
// with publish-options, preconditions checked in the write (pipelined publishes see each other),
// access by presence subscription, notifications only to resources whose verified caps ask for
// the node, the last item on initial presence, max_items, the limits, and the account's nodes
// gone with it.
#include <gtest/gtest.h>

#include <string>

#include "modules/roster/roster_store.h"
#include "tests/unit/modules/module_harness.h"
#include "xmpp/caps.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kJuliet = "juliet@example.com/phone";
constexpr std::string_view kRomeo = "romeo@example.com/garden";
constexpr std::string_view kNode = "urn:xmpp:omemo:2:devices";

std::string publish(std::string_view node, std::string_view id, std::string_view payload,
                    std::string_view options = {}, std::string_view to = {}) {
  std::string xml = "<iq type='set' id='p'";
  if (!to.empty()) {
    xml += " to='" + std::string(to) + "'";
  }
  xml += "><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" + std::string(node) +
         "'><item";
  if (!id.empty()) {
    xml += " id='" + std::string(id) + "'";
  }
  xml += ">" + std::string(payload) + "</item></publish>";
  if (!options.empty()) {
    xml +=
        "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
        "type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value>"
        "</field>" +
        std::string(options) + "</x></publish-options>";
  }
  return xml + "</pubsub></iq>";
}

std::string field(std::string_view var, std::string_view value) {
  return "<field var='pubsub#" + std::string(var) + "'><value>" + std::string(value) +
         "</value></field>";
}

std::string items_of(std::string_view owner, std::string_view node, std::string_view extra = {}) {
  return "<iq type='get' id='i' to='" + std::string(owner) +
         "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" + std::string(node) +
         "'" + std::string(extra) + "/></pubsub></iq>";
}

// "result", or the condition and the pubsub#errors condition ("conflict precondition-not-met").
std::string outcome(const xmpp::StanzaPtr& reply) {
  if (reply == nullptr) {
    return "(no reply)";
  }
  if (reply->type() != "error") {
    return std::string(reply->type());
  }
  auto error = xmpp::StanzaError::from_stanza(reply->root());
  std::string text(error ? xmpp::condition_name(error->condition) : "?");
  if (error && !error->application.name.empty()) {
    text += " " + error->application.name;
  }
  return text;
}

// The ids of the items an items result holds, in order.
std::vector<std::string> item_ids(const xmpp::StanzaPtr& reply) {
  std::vector<std::string> ids;
  const xmpp::Element* pubsub = reply ? reply->root().child("pubsub", xmpp::ns::kPubsub) : nullptr;
  const xmpp::Element* items = pubsub ? pubsub->child("items") : nullptr;
  if (items != nullptr) {
    for (const xmpp::Element& item : items->children()) {
      ids.emplace_back(item.attr("id"));
    }
  }
  return ids;
}

// A disco#info answer listing `notify` as +notify features, and the caps 'ver' it hashes to.
struct Software {
  std::string query;
  std::string ver;
};
Software software(std::string_view notify) {
  Software s;
  s.query =
      "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' "
      "type='phone' name='Test'/><feature var='" +
      std::string(notify) + "+notify'/></query>";
  xmpp::StanzaPtr parsed =
      xmpp::testing::parse_one("<iq type='result' id='x'>" + s.query + "</iq>");
  s.ver = xmpp::caps_hash("sha-1",
                          xmpp::caps_verification_string(*parsed->root().first_child()).value())
              .value();
  return s;
}

std::string presence_with(const Software& s) {
  return "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:test' "
         "ver='" +
         s.ver + "'/></presence>";
}

class PepTest : public ::testing::Test {
 protected:
  // `owner`'s roster gives `contact` the subscription `s`.
  void roster_item(std::string_view owner, std::string_view contact, roster::Subscription s) {
    roster::RosterStore rosters(
        harness.store().open_store("roster", StoreScope::PerAccount).value());
    roster::RosterItem item;
    item.jid = contact;
    item.subscription = s;
    ASSERT_TRUE(harness.store()
                    .write([&](WriteTxn& txn) -> Result<void, StoreError> {
                      auto put = rosters.put(txn, owner, item);
                      return put ? Result<void, StoreError>{} : Err(put.error());
                    })
                    .ok());
  }

  // A resource connects with caps `s` and sends initial presence; it answers the disco#info
  // query ternd sends it (truthfully, or from `answer_from`).
  void come_online(std::string_view full, const Software& s, std::string_view answer_from = {}) {
    harness.services().connect_with_presence(full, presence_with(s));
    xmpp::Jid jid = xmpp::Jid::parse(full).value();
    xmpp::StanzaPtr presence = xmpp::testing::parse_one(presence_with(s));
    harness.host().run_presence_broadcast({*presence, jid, PresenceChange::Initial});
    auto sent = harness.services().take_sent();
    for (auto& [to, stanza] : sent) {
      if (stanza->name() == "iq" && stanza->id().starts_with("pep-caps-")) {
        EXPECT_EQ(to, full);
        EXPECT_EQ(stanza->root().child("query", xmpp::ns::kDiscoInfo)->attr("node"),
                  "urn:test#" + s.ver);
        std::string from(answer_from.empty() ? full : answer_from);
        xmpp::StanzaPtr answer = xmpp::testing::parse_one(
            "<iq type='result' id='" + std::string(stanza->id()) + "' from='" + from + "' to='" +
            std::string(jid.bare_view()) + "'>" + s.query + "</iq>");
        last_answer_taken = harness.host().run_inbound(answer) == Verdict::Handled;
      }
    }
  }

  // The event messages routed since the last call, as (to, node) pairs.
  std::vector<std::pair<std::string, std::string>> events() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const xmpp::StanzaPtr& stanza : harness.services().take_routed()) {
      const xmpp::Element* event = stanza->root().child("event", xmpp::ns::kPubsubEvent);
      const xmpp::Element* what = event ? event->first_child() : nullptr;
      if (what != nullptr) {
        out.emplace_back(stanza->to(), what->attr("node"));
      }
    }
    return out;
  }

  testing::ModuleHarness harness{{"pep", "roster"}};
  bool last_answer_taken = false;
};

TEST_F(PepTest, PublishAutoCreatesAndTheNodeKeepsOneItemByDefault) {
  xmpp::StanzaPtr reply = harness.iq(publish("urn:n", "", "<nick xmlns='urn:n'>J</nick>"), kJuliet);
  ASSERT_EQ(outcome(reply), "result");
  const xmpp::Element* item =
      reply->root().child("pubsub", xmpp::ns::kPubsub)->child("publish")->child("item");
  EXPECT_FALSE(item->attr("id").empty());  // made by the service
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "b", "<nick xmlns='urn:n'>K</nick>"), kJuliet)),
            "result");
  EXPECT_EQ(item_ids(harness.iq(items_of("juliet@example.com", "urn:n"), kJuliet)),
            (std::vector<std::string>{"b"}));
}

TEST_F(PepTest, PipelinedPublishesSeeEachOthersNode) {
  // Both requests are taken before either commits: the second's preconditions are checked
  // against the node the first created, in the write.
  std::vector<std::string> outcomes;
  for (std::string_view model : {"open", "whitelist"}) {
    xmpp::StanzaPtr request = xmpp::testing::parse_one(
        publish(kNode, "current", "<d xmlns='urn:d'/>", field("access_model", model)));
    harness.host().dispatch_iq(request->root(), Addressed::ToAccount,
                               xmpp::Jid::parse(kJuliet).value(),
                               [&](xmpp::StanzaPtr r) { outcomes.push_back(outcome(r)); });
  }
  harness.services().settle();
  EXPECT_EQ(outcomes, (std::vector<std::string>{"result", "conflict precondition-not-met"}));
}

TEST_F(PepTest, PresenceAccessAndForeignPublishing) {
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "1", "<n xmlns='urn:n'/>"), kJuliet)), "result");
  EXPECT_EQ(outcome(harness.iq(items_of("juliet@example.com", "urn:n"), kRomeo)),
            "not-authorized presence-subscription-required");
  roster_item("juliet@example.com", "romeo@example.com", roster::Subscription::From);
  EXPECT_EQ(item_ids(harness.iq(items_of("juliet@example.com", "urn:n"), kRomeo)),
            (std::vector<std::string>{"1"}));
  EXPECT_EQ(outcome(harness.iq(
                publish("urn:n", "2", "<n xmlns='urn:n'/>", {}, "juliet@example.com"), kRomeo)),
            "forbidden");
  EXPECT_EQ(outcome(harness.iq(items_of("juliet@example.com", "urn:none"), kJuliet)),
            "item-not-found");
}

TEST_F(PepTest, NotificationsGoOnlyWhereVerifiedCapsAskForTheNode) {
  roster_item("juliet@example.com", "romeo@example.com", roster::Subscription::Both);
  come_online("juliet@example.com/laptop", software(kNode));
  EXPECT_TRUE(last_answer_taken);
  come_online(kRomeo, software(kNode));  // the same software: not asked again
  come_online("romeo@example.com/tablet", software("urn:other"));
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "current", "<d xmlns='urn:d'/>"), kJuliet)),
            "result");
  auto sent = events();
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(sent, (std::vector<std::pair<std::string, std::string>>{
                      {"juliet@example.com/laptop", std::string(kNode)},
                      {std::string(kRomeo), std::string(kNode)}}));
}

// XEP-0163 §4.3.3: nothing to a contact the owner blocked (XEP-0191), neither notifications nor
// the last items at login.
class PepBlockingTest : public PepTest {
 protected:
  PepBlockingTest() { harness.restart({"pep", "roster", "blocking"}); }
};

TEST_F(PepBlockingTest, ABlockedContactHearsNothing) {
  roster_item("juliet@example.com", "romeo@example.com", roster::Subscription::Both);
  roster_item("romeo@example.com", "juliet@example.com", roster::Subscription::Both);
  ASSERT_EQ(outcome(harness.iq("<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item "
                               "jid='romeo@example.com'/></block></iq>",
                               kJuliet)),
            "result");
  come_online(kRomeo, software(kNode));
  harness.services().take_routed();
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "current", "<d xmlns='urn:d'/>"), kJuliet)),
            "result");
  EXPECT_TRUE(events().empty());
  come_online("romeo@example.com/tablet", software(kNode));  // the last item at login: none
  EXPECT_TRUE(events().empty());
  ASSERT_EQ(outcome(harness.iq("<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'/></iq>",
                               kJuliet)),
            "result");
  harness.services().take_routed();
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "current", "<d xmlns='urn:d'/>"), kJuliet)),
            "result");
  EXPECT_EQ(events().size(), 2U);  // both of Romeo's resources, once unblocked
}

TEST_F(PepTest, AnAnswerFromAnotherJidIsNotTaken) {
  come_online("juliet@example.com/laptop", software(kNode), "mallory@example.com/x");
  EXPECT_FALSE(last_answer_taken);
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "current", "<d xmlns='urn:d'/>"), kJuliet)),
            "result");
  EXPECT_TRUE(events().empty());
}

TEST_F(PepTest, InitialPresenceBringsTheLastItemsAskedFor) {
  roster_item("juliet@example.com", "romeo@example.com", roster::Subscription::From);
  roster_item("romeo@example.com", "juliet@example.com", roster::Subscription::To);
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "old", "<d xmlns='urn:d'/>"), kJuliet)), "result");
  ASSERT_EQ(outcome(harness.iq(publish(kNode, "current", "<d xmlns='urn:d'/>"), kJuliet)),
            "result");
  ASSERT_EQ(outcome(harness.iq(publish("urn:never", "x", "<d xmlns='urn:d'/>",
                                       field("send_last_published_item", "never")),
                               kJuliet)),
            "result");
  events();
  come_online(kRomeo, software(kNode));
  EXPECT_EQ(events(), (std::vector<std::pair<std::string, std::string>>{
                          {std::string(kRomeo), std::string(kNode)}}));
  come_online("romeo@example.com/tablet", software("urn:never"));
  EXPECT_TRUE(events().empty());  // send_last_published_item = never
}

TEST_F(PepTest, MaxItemsKeepsTheNewest) {
  std::string options = field("max_items", "2");
  for (std::string_view id : {"a", "b", "c"}) {
    ASSERT_EQ(outcome(harness.iq(publish("urn:b", id, "<b xmlns='urn:b'/>", options), kJuliet)),
              "result");
  }
  EXPECT_EQ(item_ids(harness.iq(items_of("juliet@example.com", "urn:b"), kJuliet)),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(
      item_ids(harness.iq(items_of("juliet@example.com", "urn:b", " max_items='1'"), kJuliet)),
      (std::vector<std::string>{"c"}));
}

TEST_F(PepTest, LimitsRefuseAndStoreNothing) {
  harness.restart({"pep", "roster"},
                  {{"pep",
                    {{"max_nodes", ModuleOptions::Value{std::int64_t{1}, "test"}},
                     {"max_item_bytes", ModuleOptions::Value{std::int64_t{300}, "test"}}}}});
  std::string big = "<b xmlns='urn:b'>" + std::string(400, 'x') + "</b>";
  EXPECT_EQ(outcome(harness.iq(publish("urn:a", "1", big), kJuliet)),
            "not-acceptable payload-too-big");
  EXPECT_EQ(outcome(harness.iq(items_of("juliet@example.com", "urn:a"), kJuliet)),
            "item-not-found");
  ASSERT_EQ(outcome(harness.iq(publish("urn:a", "1", "<b xmlns='urn:b'/>"), kJuliet)), "result");
  EXPECT_EQ(outcome(harness.iq(publish("urn:second", "1", "<b xmlns='urn:b'/>"), kJuliet)),
            "resource-constraint");
  EXPECT_EQ(outcome(harness.iq(items_of("juliet@example.com", "urn:second"), kJuliet)),
            "item-not-found");
}

TEST_F(PepTest, WhatPepDoesNotOfferIsUnsupportedByName) {
  xmpp::StanzaPtr reply = harness.iq(
      "<iq type='get' id='s' to='juliet@example.com'><pubsub "
      "xmlns='http://jabber.org/protocol/pubsub'><options node='urn:n' "
      "jid='romeo@example.com'/></pubsub></iq>",
      kRomeo);
  EXPECT_EQ(outcome(reply), "feature-not-implemented unsupported");
  auto error = xmpp::StanzaError::from_stanza(reply->root());
  EXPECT_EQ(
      error->application.attributes,
      (std::vector<std::pair<std::string, std::string>>{{"feature", "subscription-options"}}));
  EXPECT_EQ(outcome(harness.iq("<iq type='get' id='a'><pubsub "
                               "xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations "
                               "node='urn:n'/></pubsub></iq>",
                               kJuliet)),
            "feature-not-implemented unsupported");
}

TEST(PepDisco, TheOwnersDiscoItemsListItsNodes) {
  testing::ModuleHarness harness({"disco", "pep", "roster"});
  ASSERT_EQ(outcome(harness.iq(publish("urn:a", "1", "<n xmlns='urn:n'/>"), kJuliet)), "result");
  ASSERT_EQ(outcome(harness.iq(publish("urn:b", "1", "<n xmlns='urn:n'/>"), kJuliet)), "result");
  constexpr std::string_view kItems =
      "<iq type='get' id='d' to='juliet@example.com'><query "
      "xmlns='http://jabber.org/protocol/disco#items'/></iq>";
  xmpp::StanzaPtr reply = harness.iq(kItems, kJuliet);
  std::vector<std::string> nodes;
  for (const xmpp::Element& item :
       reply->root().child("query", xmpp::ns::kDiscoItems)->children()) {
    EXPECT_EQ(item.attr("jid"), "juliet@example.com");
    nodes.emplace_back(item.attr("node"));
  }
  EXPECT_EQ(nodes, (std::vector<std::string>{"urn:a", "urn:b"}));
  EXPECT_EQ(outcome(harness.iq(kItems, kRomeo)), "service-unavailable");  // a stranger
  // A contact who sees her presence discovers the PEP service and the nodes he may read
  // (XEP-0163 §6.2), not a whitelist node, nor what she can do on her account.
  ASSERT_EQ(outcome(harness.iq(publish("urn:secret", "1", "<n xmlns='urn:n'/>",
                                       field("access_model", "whitelist")),
                               kJuliet)),
            "result");
  roster::RosterStore rosters(harness.store().open_store("roster", StoreScope::PerAccount).value());
  roster::RosterItem romeo;
  romeo.jid = "romeo@example.com";
  romeo.subscription = roster::Subscription::From;
  ASSERT_TRUE(harness.store()
                  .write([&](WriteTxn& txn) -> Result<void, StoreError> {
                    auto put = rosters.put(txn, "juliet@example.com", romeo);
                    return put ? Result<void, StoreError>{} : Err(put.error());
                  })
                  .ok());
  std::vector<std::string> seen;
  for (const xmpp::Element& item :
       harness.iq(kItems, kRomeo)->root().child("query", xmpp::ns::kDiscoItems)->children()) {
    seen.emplace_back(item.attr("node"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"urn:a", "urn:b"}));
  std::string contact_view =
      xmpp::to_xml(harness
                       .iq("<iq type='get' id='i' to='juliet@example.com'><query "
                           "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                           kRomeo)
                       ->root());
  EXPECT_NE(contact_view.find("category='pubsub' type='pep'"), std::string::npos) << contact_view;
  EXPECT_EQ(contact_view.find("publish-options"), std::string::npos) << contact_view;
  xmpp::StanzaPtr info = harness.iq(
      "<iq type='get' id='i'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>", kJuliet);
  std::string xml = xmpp::to_xml(info->root());
  EXPECT_NE(xml.find("category='pubsub' type='pep'"), std::string::npos) << xml;
  EXPECT_NE(xml.find("http://jabber.org/protocol/pubsub#publish-options"), std::string::npos);
}

std::string subscription(std::string_view action, std::string_view jid,
                         std::string_view node = "urn:n") {
  return "<iq type='set' id='s' to='juliet@example.com'><pubsub "
         "xmlns='http://jabber.org/protocol/pubsub'><" +
         std::string(action) + " node='" + std::string(node) + "' jid='" + std::string(jid) +
         "'/></pubsub></iq>";
}

// XEP-0163 §5 and XEP-0060 §6.1–6.2: explicit subscriptions within the access model; a new
// subscriber gets the last item, and a full JID one notification whatever its caps (§4.3.2).
TEST_F(PepTest, ExplicitSubscriptionsWithinTheAccessModel) {
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "first", "<n xmlns='urn:n'/>"), kJuliet)),
            "result");
  events();
  EXPECT_EQ(outcome(harness.iq(subscription("subscribe", kRomeo), kRomeo)),
            "not-authorized presence-subscription-required");
  EXPECT_EQ(outcome(harness.iq(subscription("subscribe", "mallory@example.com"), kRomeo)),
            "bad-request invalid-jid");  // only one's own JID
  roster_item("juliet@example.com", "romeo@example.com", roster::Subscription::From);
  xmpp::StanzaPtr subscribed = harness.iq(subscription("subscribe", kRomeo), kRomeo);
  ASSERT_EQ(outcome(subscribed), "result");
  const xmpp::Element* answer =
      subscribed->root().child("pubsub", xmpp::ns::kPubsub)->child("subscription");
  EXPECT_EQ(answer->attr("subscription"), "subscribed");
  EXPECT_EQ(answer->attr("jid"), kRomeo);
  EXPECT_EQ(events(), (std::vector<std::pair<std::string, std::string>>{
                          {std::string(kRomeo), "urn:n"}}));  // the last item, at once
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "second", "<n xmlns='urn:n'/>"), kJuliet)),
            "result");
  EXPECT_EQ(events(), (std::vector<std::pair<std::string, std::string>>{
                          {std::string(kRomeo), "urn:n"}}));  // no caps needed
  EXPECT_EQ(outcome(harness.iq(subscription("unsubscribe", kRomeo), kRomeo)), "result");
  EXPECT_EQ(outcome(harness.iq(subscription("unsubscribe", kRomeo), kRomeo)),
            "unexpected-request not-subscribed");
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "third", "<n xmlns='urn:n'/>"), kJuliet)),
            "result");
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(outcome(harness.iq(subscription("subscribe", kRomeo, "urn:none"), kRomeo)),
            "item-not-found");
}

TEST_F(PepTest, TheAccountsNodesGoWithIt) {
  harness.host().create_account("juliet@example.com", "pw", [](StoreStatus, AccountChange) {});
  harness.services().settle();
  ASSERT_EQ(outcome(harness.iq(publish("urn:n", "1", "<n xmlns='urn:n'/>"), kJuliet)), "result");
  bool deleted = false;
  harness.host().delete_account("juliet@example.com",
                                [&](StoreStatus status) { deleted = status; });
  harness.services().settle();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(outcome(harness.iq(items_of("juliet@example.com", "urn:n"), kJuliet)),
            "item-not-found");
}

}  // namespace
}  // namespace tern::modules
