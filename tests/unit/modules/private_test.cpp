// SPDX-License-Identifier: MIT
// The private module (XEP-0049) on the module harness, over a real store: a fragment set is
// returned by a get of its name and namespace (an empty one when nothing is stored), replaced by
// the next set, refused for another account, in a reserved namespace, past the size and count
// limits, and gone with the account.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/modules/module_harness.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kJuliet = "juliet@example.com/balcony";

std::string query(std::string_view type, std::string_view inner, std::string_view to = {}) {
  std::string iq = "<iq type='" + std::string(type) + "' id='p'";
  if (!to.empty()) {
    iq += " to='" + std::string(to) + "'";
  }
  return iq + "><query xmlns='jabber:iq:private'>" + std::string(inner) + "</query></iq>";
}

std::string condition(const xmpp::StanzaPtr& reply) {
  if (reply == nullptr) {
    return "(no reply)";
  }
  auto error = xmpp::StanzaError::from_stanza(reply->root());
  return error ? std::string(xmpp::condition_name(error->condition)) : std::string(reply->type());
}

// The fragment a get returned, as XML.
std::string fragment_of(const xmpp::StanzaPtr& reply) {
  const xmpp::Element* q = reply ? reply->root().child("query", "jabber:iq:private") : nullptr;
  if (q == nullptr) {
    return "(no query)";
  }
  for (const xmpp::Element& child : q->children()) {
    return xmpp::to_xml(child);
  }
  return "(empty query)";
}

class PrivateTest : public ::testing::Test {
 protected:
  testing::ModuleHarness harness{{"private"}};
};

TEST_F(PrivateTest, AFragmentIsStoredReturnedAndReplaced) {
  auto empty = harness.iq(query("get", "<storage xmlns='storage:bookmarks'/>"), kJuliet);
  EXPECT_EQ(condition(empty), "result");
  EXPECT_EQ(fragment_of(empty), "<storage xmlns='storage:bookmarks'/>");

  auto set = harness.iq(query("set",
                              "<storage xmlns='storage:bookmarks'><conference "
                              "jid='council@chat.example.com' autojoin='true'/></storage>"),
                        kJuliet);
  ASSERT_EQ(condition(set), "result");
  auto got = harness.iq(query("get", "<storage xmlns='storage:bookmarks'/>"), kJuliet);
  EXPECT_NE(fragment_of(got).find("council@chat.example.com"), std::string::npos)
      << fragment_of(got);
  // Another resource of the same account, its bare JID as 'to': the same data.
  auto other =
      harness.iq(query("get", "<storage xmlns='storage:bookmarks'/>", "juliet@example.com"),
                 "juliet@example.com/phone");
  EXPECT_EQ(fragment_of(other), fragment_of(got));

  ASSERT_EQ(condition(harness.iq(query("set", "<storage xmlns='storage:bookmarks'/>"), kJuliet)),
            "result");
  EXPECT_EQ(fragment_of(harness.iq(query("get", "<storage xmlns='storage:bookmarks'/>"), kJuliet)),
            "<storage xmlns='storage:bookmarks'/>");
  // Another namespace is another fragment.
  EXPECT_EQ(
      fragment_of(harness.iq(query("get", "<storage xmlns='storage:rosternotes'/>"), kJuliet)),
      "<storage xmlns='storage:rosternotes'/>");
}

TEST_F(PrivateTest, NobodyReadsOrWritesAnotherAccountsData) {
  ASSERT_EQ(
      condition(harness.iq(query("set", "<prefs xmlns='urn:example:prefs'>x</prefs>"), kJuliet)),
      "result");
  EXPECT_EQ(
      condition(harness.iq(query("get", "<prefs xmlns='urn:example:prefs'/>", "juliet@example.com"),
                           "romeo@example.com/garden")),
      "forbidden");
  EXPECT_EQ(
      condition(harness.iq(query("set", "<prefs xmlns='urn:example:prefs'/>", "juliet@example.com"),
                           "romeo@example.com/garden")),
      "forbidden");
  // Romeo's own is empty.
  EXPECT_EQ(fragment_of(harness.iq(query("get", "<prefs xmlns='urn:example:prefs'/>"),
                                   "romeo@example.com/garden")),
            "<prefs xmlns='urn:example:prefs'/>");
}

TEST_F(PrivateTest, BadRequestsAreNotAcceptable) {
  EXPECT_EQ(condition(harness.iq(query("set", ""), kJuliet)), "not-acceptable");
  EXPECT_EQ(condition(harness.iq(query("set", "<x xmlns='jabber:iq:roster'/>"), kJuliet)),
            "not-acceptable");
  EXPECT_EQ(condition(harness.iq(query("set", "<a xmlns='urn:a'/><b xmlns='urn:b'/>"), kJuliet)),
            "not-acceptable");
  std::string big(70000, 'x');
  EXPECT_EQ(condition(harness.iq(query("set", "<big xmlns='urn:big'>" + big + "</big>"), kJuliet)),
            "not-acceptable");
}

TEST_F(PrivateTest, TheNumberOfFragmentsIsBounded) {
  harness.restart(
      {"private"},
      {{"private", {{"max_fragments", ModuleOptions::Value{std::int64_t{2}, "test"}}}}});
  EXPECT_EQ(condition(harness.iq(query("set", "<a xmlns='urn:a'/>"), kJuliet)), "result");
  EXPECT_EQ(condition(harness.iq(query("set", "<b xmlns='urn:b'/>"), kJuliet)), "result");
  EXPECT_EQ(condition(harness.iq(query("set", "<c xmlns='urn:c'/>"), kJuliet)),
            "resource-constraint");
  EXPECT_EQ(condition(harness.iq(query("set", "<a xmlns='urn:a'>again</a>"), kJuliet)),
            "result");  // replacing one is not one more
}

TEST_F(PrivateTest, TheDataGoesWithTheAccount) {
  harness.host().create_account("juliet@example.com", "pw", [](StoreStatus, AccountChange) {});
  harness.services().settle();
  ASSERT_EQ(
      condition(harness.iq(query("set", "<prefs xmlns='urn:example:prefs'>x</prefs>"), kJuliet)),
      "result");
  bool deleted = false;
  harness.host().delete_account("juliet@example.com",
                                [&](StoreStatus status) { deleted = status; });
  harness.services().settle();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(fragment_of(harness.iq(query("get", "<prefs xmlns='urn:example:prefs'/>"), kJuliet)),
            "<prefs xmlns='urn:example:prefs'/>");
}

}  // namespace
}  // namespace tern::modules
