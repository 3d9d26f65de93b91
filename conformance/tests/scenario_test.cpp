// SPDX-License-Identifier: MIT
#include "conformance/runner/scenario.h"

#include <gtest/gtest.h>

#include "conformance/runner/fragment.h"
#include "conformance/runner/server_features.h"

namespace tern::conformance {
namespace {

constexpr std::string_view kScript = R"(# Roster get returns the items
# spec: RFC 6121 §2.1.3
# requires: urn:xmpp:sm:3
# known-gap: prosody: sends something else
# must: RFC 6121 §2.1.3: "the server MUST return the roster"

[Client] Romeo
	jid: romeo@localhost
	password: password

[Client] Juliet
	jid: juliet@localhost/balcony
	password: password

-----

Romeo connects

# a comment between steps
Romeo sends:
	<iq type='get' id='r1'>
		<query xmlns='jabber:iq:roster'/>
	</iq>

Romeo receives:
	<iq type='result' id='r1'/>
Romeo receives nothing
Juliet fails to connect to nowhere.invalid
Romeo receives in order:
	<message/>
Romeo receives nothing else
Romeo loses connection
Romeo fails to log in
Juliet fails to authenticate
)";

TEST(ScenarioParser, ReadsMetadataActorsAndSteps) {
  auto parsed = parse_scenario(kScript, "x.scs");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const Scenario& s = parsed.value();
  EXPECT_EQ(s.title, "Roster get returns the items");
  EXPECT_EQ(s.spec_family(), "RFC 6121");
  ASSERT_EQ(s.required_features.size(), 1U);
  ASSERT_EQ(s.known_gaps.size(), 1U);
  EXPECT_EQ(s.known_gaps[0].first, "prosody");
  ASSERT_EQ(s.actors.size(), 2U);
  EXPECT_EQ(s.actors[1].jid, "juliet@localhost/balcony");
  ASSERT_EQ(s.musts.size(), 1U);
  EXPECT_EQ(s.musts[0], "RFC 6121 §2.1.3: \"the server MUST return the roster\"");
  EXPECT_FALSE(s.tests_should_only());
  ASSERT_EQ(s.steps.size(), 10U);
  EXPECT_EQ(s.steps[1].kind, StepKind::Send);
  EXPECT_EQ(s.steps[1].text, "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
  EXPECT_EQ(s.steps[3].kind, StepKind::ReceiveNothing);
  EXPECT_EQ(s.steps[4].kind, StepKind::FailToConnectTo);
  EXPECT_EQ(s.steps[4].text, "nowhere.invalid");
  EXPECT_EQ(s.steps[5].kind, StepKind::ReceiveInOrder);
  EXPECT_EQ(s.steps[5].text, "<message/>");
  EXPECT_EQ(s.steps[6].kind, StepKind::ReceiveNothing);
  EXPECT_EQ(s.steps[7].kind, StepKind::LoseConnection);
  EXPECT_EQ(s.steps[7].line, 32);
  EXPECT_EQ(s.steps[8].kind, StepKind::FailToLogIn);
  EXPECT_EQ(s.steps[9].kind, StepKind::FailToAuthenticate);
  EXPECT_EQ(s.steps[9].actor, "Juliet");
}

TEST(ScenarioParser, NamesTheLineOfAMistake) {
  auto unknown = parse_scenario("[Client] Romeo\n\tjid: r@l\n---\nRomeo dances\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "4: not a step: 'Romeo dances'");
  auto no_block = parse_scenario("[Client] Romeo\n\tjid: r@l\n---\nRomeo sends:\nRomeo connects\n");
  ASSERT_FALSE(no_block.ok());
  EXPECT_EQ(no_block.error(), "4: 'sends:' needs an indented block");
  EXPECT_FALSE(parse_scenario("[Client] Romeo\n\tjid: r@l\nRomeo connects\n").ok());
}

TEST(ScenarioParser, AScenarioWithOnlyShouldsTestsOnlyAShould) {
  auto parsed = parse_scenario(
      "# t\n# should: XEP-0191 §3.5: \"SHOULD return an error\"\n[Client] Romeo\n\tjid: r@l\n"
      "---\nRomeo connects\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed.value().tests_should_only());
  ASSERT_EQ(parsed.value().shoulds.size(), 1U);
}

TEST(ScenarioParser, SpecFamilies) {
  Scenario s;
  s.specs = {"XEP-0198 §4"};
  EXPECT_EQ(s.spec_family(), "XEP-0198");
  s.specs = {"RFC 6120 §4.9.3.1"};
  EXPECT_EQ(s.spec_family(), "RFC 6120");
}

// The server-feature probe (server_features.h): what it reads from disco answers, and which
// entity it binds ${upload service} to.
xmpp::StanzaPtr element(std::string_view xml) {
  auto parsed = parse_fragment(xml);
  EXPECT_TRUE(parsed.ok());
  return std::move(parsed.value().front());
}

TEST(ServerFeatures, ReadsTheFeaturesOfADiscoInfoResult) {
  auto iq = element(
      "<iq type='result' id='p1' from='upload.localhost'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'>"
      "<identity category='store' type='file'/>"
      "<feature var='urn:xmpp:http:upload:0'/><feature "
      "var='http://jabber.org/protocol/disco#info'/>"
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>v</value></field></x>"
      "</query></iq>");
  EXPECT_EQ(disco_info_features(iq->root()),
            (FeatureSet{"http://jabber.org/protocol/disco#info", "urn:xmpp:http:upload:0"}));
  auto error = element(
      "<iq type='error' id='p1'><query xmlns='http://jabber.org/protocol/disco#info'>"
      "<feature var='urn:xmpp:http:upload:0'/></query><error type='cancel'/></iq>");
  EXPECT_TRUE(disco_info_features(error->root()).empty());
}

TEST(ServerFeatures, ReadsTheEntitiesOfADiscoItemsResult) {
  auto iq = element(
      "<iq type='result' id='p2' from='localhost'>"
      "<query xmlns='http://jabber.org/protocol/disco#items'>"
      "<item jid='pubsub.localhost'/><item jid='localhost' node='announce'/>"
      "<item jid='upload.localhost' name='HTTP File Upload'/><item jid='pubsub.localhost'/>"
      "</query></iq>");
  EXPECT_EQ(disco_item_jids(iq->root()),
            (std::vector<std::string>{"pubsub.localhost", "upload.localhost"}));
  auto info = element(
      "<iq type='result' id='p2'><query xmlns='http://jabber.org/protocol/disco#info'>"
      "<item jid='upload.localhost'/></query></iq>");
  EXPECT_TRUE(disco_item_jids(info->root()).empty());
}

TEST(ServerFeatures, TheDomainOffersTheServiceItself) {
  ServerFeatures out;
  out.features = {"urn:xmpp:blocking", "urn:xmpp:http:upload:0"};
  bind_services("localhost", {"urn:xmpp:blocking", "urn:xmpp:http:upload:0"},
                {{"upload.localhost", {"urn:xmpp:http:upload:0"}}}, out);
  EXPECT_EQ(out.variables.at("upload service"), "localhost");
}

TEST(ServerFeatures, TheFirstItemAdvertisingTheServiceIsIt) {
  ServerFeatures out;
  out.features = {"urn:xmpp:blocking"};
  bind_services("localhost", {"urn:xmpp:blocking"},
                {{"conference.localhost", {"http://jabber.org/protocol/muc"}},
                 {"upload.localhost", {"urn:xmpp:http:upload:0"}},
                 {"files.localhost", {"urn:xmpp:http:upload:0"}}},
                out);
  EXPECT_EQ(out.variables.at("upload service"), "upload.localhost");
  // "# requires: urn:xmpp:http:upload:0" is met; an item's other features are not the server's.
  EXPECT_TRUE(out.features.contains("urn:xmpp:http:upload:0"));
  EXPECT_FALSE(out.features.contains("http://jabber.org/protocol/muc"));
}

TEST(ServerFeatures, NoServiceNoVariable) {
  ServerFeatures out;
  out.features = {"urn:xmpp:blocking"};
  bind_services("localhost", {"urn:xmpp:blocking"},
                {{"conference.localhost", {"http://jabber.org/protocol/muc"}}}, out);
  EXPECT_FALSE(out.variables.contains("upload service"));
  EXPECT_FALSE(out.features.contains("urn:xmpp:http:upload:0"));
}

}  // namespace
}  // namespace tern::conformance
