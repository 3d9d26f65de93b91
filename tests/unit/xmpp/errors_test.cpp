// SPDX-License-Identifier: MIT
// Stream and stanza errors: every RFC 6120 condition round-trips through its element, default
// error types follow RFC 6120 §8.3.3, and error replies follow §8.3.1.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_error.h"
#include "xmpp/stream_error.h"

namespace tern::xmpp {
namespace {

TEST(StreamError, EveryConditionHasAUniqueNameThatRoundTrips) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kStreamConditionCount; ++i) {
    auto condition = static_cast<StreamCondition>(i);
    std::string_view name = condition_name(condition);
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_EQ(parse_stream_condition(name), condition);
    StreamError error{condition, "because", {}};
    StanzaPtr element = error.to_stanza();
    auto back = StreamError::from_element(element->root());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->condition, condition);
    EXPECT_EQ(back->text, "because");
  }
  EXPECT_EQ(seen.size(), 25U);
  EXPECT_FALSE(parse_stream_condition("not-a-condition").has_value());
}

TEST(StreamError, SerializesWithStreamPrefixAndConditionNamespace) {
  std::string out;
  Serializer().write(out, StreamError::not_well_formed().to_stanza()->root());
  EXPECT_EQ(out,
            "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "</stream:error>");
  out.clear();
  Serializer().write(out, StreamError::policy_violation("too big").to_stanza()->root());
  EXPECT_EQ(out,
            "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>too big</text>"
            "</stream:error>");
}

TEST(StreamError, SeeOtherHostCarriesTheAddress) {
  StreamError e = StreamError::see_other_host("[2001:db8::1]:5222");
  auto back = StreamError::from_element(e.to_stanza()->root());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->condition, StreamCondition::SeeOtherHost);
  EXPECT_EQ(back->other_host, "[2001:db8::1]:5222");
}

TEST(StreamError, ParsesReceivedError) {
  StanzaPtr s = testing::parse_one(
      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced by new connection</text>"
      "<app xmlns='urn:example'/></stream:error>");
  ASSERT_NE(s, nullptr);
  auto e = StreamError::from_element(s->root());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->condition, StreamCondition::Conflict);
  EXPECT_EQ(e->text, "Replaced by new connection");
  EXPECT_FALSE(StreamError::from_element(Stanza::create("error", ns::kClient)->root()));
}

TEST(StanzaError, DefaultTypesFollowRfc6120) {
  EXPECT_EQ(StanzaError::bad_request().type, ErrorType::Modify);
  EXPECT_EQ(StanzaError::service_unavailable().type, ErrorType::Cancel);
  EXPECT_EQ(StanzaError::not_authorized().type, ErrorType::Auth);
  EXPECT_EQ(StanzaError::forbidden().type, ErrorType::Auth);
  EXPECT_EQ(StanzaError::recipient_unavailable().type, ErrorType::Wait);
  EXPECT_EQ(StanzaError::resource_constraint().type, ErrorType::Wait);
  EXPECT_EQ(StanzaError::item_not_found().type, ErrorType::Cancel);
  EXPECT_EQ(StanzaError::jid_malformed().type, ErrorType::Modify);
  EXPECT_EQ(StanzaError::of(StanzaCondition::SubscriptionRequired).type, ErrorType::Auth);
  EXPECT_EQ(StanzaError::of(StanzaCondition::RemoteServerTimeout).type, ErrorType::Wait);
}

TEST(StanzaError, EveryConditionRoundTrips) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kStanzaConditionCount; ++i) {
    auto condition = static_cast<StanzaCondition>(i);
    EXPECT_TRUE(seen.insert(condition_name(condition)).second);
    EXPECT_EQ(parse_stanza_condition(condition_name(condition)), condition);
    StanzaPtr s = Stanza::create("message", ns::kClient);
    s->root().set_attr("type", "error");
    StanzaError e = StanzaError::of(condition, "why");
    e.by = "example.com";
    e.append_to(s->root());
    auto back = StanzaError::from_stanza(s->root());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, e) << condition_name(condition);
  }
  EXPECT_EQ(seen.size(), 22U);
  for (std::string_view t : {"auth", "cancel", "continue", "modify", "wait"}) {
    EXPECT_EQ(error_type_name(*parse_error_type(t)), t);
  }
}

TEST(StanzaError, GoneAndRedirectCarryAUri) {
  StanzaPtr s = Stanza::create("iq", ns::kClient);
  StanzaError e = StanzaError::of(StanzaCondition::Redirect);
  e.redirect = "xmpp:characters@conference.example.org";
  e.append_to(s->root());
  EXPECT_EQ(s->root().child("error")->child_text("redirect", ns::kStanzaErrors),
            "xmpp:characters@conference.example.org");
}

TEST(StanzaError, ErrorReplySwapsAddressesKeepsIdAndSerializes) {
  StanzaPtr req = testing::parse_one(
      "<iq type='get' id='info1' from='romeo@example.net/orchard' to='juliet@example.com'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  ASSERT_NE(req, nullptr);
  StanzaPtr reply = make_error_reply(req->root(), StanzaError::service_unavailable());
  ASSERT_NE(reply, nullptr);
  std::string out;
  Serializer().write(out, reply->root());
  EXPECT_EQ(out,
            "<iq to='romeo@example.net/orchard' from='juliet@example.com' id='info1' "
            "type='error'><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST(StanzaError, ApplicationConditionFollowsTheTextAndRoundTrips) {
  StanzaPtr req = testing::parse_one(
      "<message id='m1' from='juliet@example.com/balcony' to='romeo@example.net'>"
      "<body>Can you hear me now?</body></message>");
  ASSERT_NE(req, nullptr);
  StanzaError error = StanzaError::not_acceptable("blocked").with_application_condition(
      ns::kBlockingErrors, "blocked");
  error.type = ErrorType::Cancel;
  StanzaPtr reply = make_error_reply(req->root(), error);
  ASSERT_NE(reply, nullptr);
  std::string out;
  Serializer().write(out, *reply->root().child("error"));
  // RFC 6120 §8.3.2: defined condition, then text, then the application-specific condition.
  EXPECT_EQ(out,
            "<error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>blocked</text>"
            "<blocked xmlns='urn:xmpp:blocking:errors'/></error>");

  // Parsed back from the wire, with the application condition before the text this time.
  StanzaPtr received = testing::parse_one(
      "<message type='error' id='m1'><error type='cancel'>"
      "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<blocked xmlns='urn:xmpp:blocking:errors'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>blocked</text></error></message>");
  ASSERT_NE(received, nullptr);
  auto back = StanzaError::from_stanza(received->root());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, error);
  EXPECT_EQ(back->application,
            (ApplicationCondition{std::string(ns::kBlockingErrors), "blocked", {}}));

  // One with children (XEP-0363's <file-too-large/>) keeps them, in its namespace, both ways.
  const StanzaError too_large = StanzaError::not_acceptable().with_application_condition(
      ns::kHttpUpload, "file-too-large", {{"max-file-size", "1024"}});
  StanzaPtr iq = Stanza::create("iq", ns::kClient);
  too_large.append_to(iq->root());
  EXPECT_EQ(to_xml(iq->root()),
            "<iq xmlns='jabber:client'><error type='modify'>"
            "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>1024</max-file-size>"
            "</file-too-large></error></iq>");
  auto parsed = StanzaError::from_stanza(iq->root());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, too_large);

  // Without one, nothing is added and nothing is read.
  auto plain =
      StanzaError::from_stanza(make_error_reply(req->root(), StanzaError::bad_request())->root());
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->application.name.empty());
}

TEST(StanzaError, NeverRepliesToErrorsOrResults) {
  StanzaPtr error = testing::parse_one("<message type='error' id='x'/>");
  StanzaPtr result = testing::parse_one("<iq type='result' id='x'/>");
  StanzaPtr get = testing::parse_one("<iq type='get' id='x'/>");
  ASSERT_TRUE(error && result && get);
  EXPECT_EQ(make_error_reply(error->root(), StanzaError::bad_request()), nullptr);
  EXPECT_EQ(make_error_reply(result->root(), StanzaError::bad_request()), nullptr);
  EXPECT_NE(make_error_reply(get->root(), StanzaError::bad_request()), nullptr);
}

}  // namespace
}  // namespace tern::xmpp
