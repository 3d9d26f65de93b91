// SPDX-License-Identifier: MIT
// The matcher decides pass or fail for every expected stanza: it must accept what scansion
// accepts (extra attributes and children, wildcards) and reject every real difference.
#include "conformance/runner/matcher.h"

#include <gtest/gtest.h>

#include "conformance/runner/fragment.h"

namespace tern::conformance {
namespace {

std::optional<std::string> check(std::string_view expected, std::string_view actual,
                                 Captures* captures = nullptr) {
  auto e = parse_fragment(expected);
  auto a = parse_fragment(actual);
  EXPECT_TRUE(e.ok() && a.ok());
  Captures local;
  return match(e.value().front()->root(), a.value().front()->root(),
               captures != nullptr ? *captures : local);
}

TEST(Matcher, IgnoresExtraAttributesAndChildren) {
  EXPECT_EQ(check("<iq type='result' id='a1'/>",
                  "<iq type='result' id='a1' from='x@y/z'><query xmlns='jabber:iq:roster'/></iq>"),
            std::nullopt);
}

TEST(Matcher, ReportsADifferentAttributeWithItsPath) {
  auto why = check(
      "<iq type='result'><query xmlns='jabber:iq:roster'><item jid='a@b' "
      "subscription='both'/></query></iq>",
      "<iq type='result'><query xmlns='jabber:iq:roster'><item jid='a@b' "
      "subscription='to'/></query></iq>");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why, "/iq/query/item: attribute subscription is 'to', expected 'both'");
}

TEST(Matcher, AMissingAttributeOrChildFails) {
  EXPECT_NE(check("<message type='chat'/>", "<message/>"), std::nullopt);
  EXPECT_NE(check("<message><body>hi</body></message>", "<message/>"), std::nullopt);
  EXPECT_NE(check("<message><body>hi</body></message>", "<message><body>ho</body></message>"),
            std::nullopt);
}

TEST(Matcher, NamespacesMustMatch) {
  EXPECT_NE(check("<iq><query xmlns='jabber:iq:roster'/></iq>",
                  "<iq><query xmlns='jabber:iq:version'/></iq>"),
            std::nullopt);
  EXPECT_NE(check("<presence/>", "<message/>"), std::nullopt);
}

TEST(Matcher, AnyAcceptsEveryValueButNotAbsence) {
  EXPECT_EQ(check("<iq id='{scansion:any}'/>", "<iq id='x7'/>"), std::nullopt);
  EXPECT_NE(check("<iq id='{scansion:any}'/>", "<iq/>"), std::nullopt);
  EXPECT_EQ(check("<m xmlns='urn:x'><t>{scansion:any}</t></m>", "<m xmlns='urn:x'><t>12</t></m>"),
            std::nullopt);
}

TEST(Matcher, BareOrFullAcceptsTheBareJidOrOneOfItsResources) {
  constexpr std::string_view kWant = "<presence to='{bare-or-full:juliet@localhost}'/>";
  EXPECT_EQ(check(kWant, "<presence to='juliet@localhost'/>"), std::nullopt);
  EXPECT_EQ(check(kWant, "<presence to='juliet@localhost/balcony'/>"), std::nullopt);
  EXPECT_NE(check(kWant, "<presence to='juliet@localhost/'/>"), std::nullopt);
  EXPECT_NE(check(kWant, "<presence to='juliet@localhostx'/>"), std::nullopt);
  EXPECT_NE(check(kWant, "<presence to='romeo@localhost/balcony'/>"), std::nullopt);
  EXPECT_NE(check(kWant, "<presence/>"), std::nullopt);
}

TEST(Matcher, ChildrenMatchInAnyOrder) {
  EXPECT_EQ(check("<error><b xmlns='urn:x'/><a xmlns='urn:x'/></error>",
                  "<error><a xmlns='urn:x'/><c xmlns='urn:x'/><b xmlns='urn:x'/></error>"),
            std::nullopt);
  // Two expected children need two received ones.
  EXPECT_NE(check("<q><a xmlns='urn:x'/><a xmlns='urn:x'/></q>", "<q><a xmlns='urn:x'/></q>"),
            std::nullopt);
}

TEST(Matcher, StrictRefusesExtrasAndRelaxesAgain) {
  const std::string_view strict =
      "<iq><query xmlns='jabber:iq:version' scansion:strict='true'><name>Tern</name>"
      "<version scansion:strict='false'/></query></iq>";
  EXPECT_EQ(check(strict,
                  "<iq><query xmlns='jabber:iq:version'><name>Tern</name><version>0.1</version>"
                  "</query></iq>"),
            std::nullopt);
  EXPECT_NE(check(strict,
                  "<iq><query xmlns='jabber:iq:version'><name>Tern</name><version>0.1</version>"
                  "<os>Linux</os></query></iq>"),
            std::nullopt);
}

TEST(Matcher, CapturesAreRecordedOnlyOnAMatch) {
  Captures captures;
  EXPECT_NE(check("<enabled xmlns='urn:xmpp:sm:3' id='{capture:smid}' resume='true'/>",
                  "<enabled xmlns='urn:xmpp:sm:3' id='abc'/>", &captures),
            std::nullopt);
  EXPECT_TRUE(captures.empty());
  EXPECT_EQ(check("<enabled xmlns='urn:xmpp:sm:3' id='{capture:smid}' resume='true'/>",
                  "<enabled xmlns='urn:xmpp:sm:3' id='abc' resume='true'/>", &captures),
            std::nullopt);
  EXPECT_EQ(captures["smid"], "abc");
}

TEST(Matcher, StreamErrorsUseTheStreamPrefix) {
  EXPECT_EQ(check("<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  "</stream:error>",
                  "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bad</text></stream:error>"),
            std::nullopt);
}

TEST(Matcher, PrettyPrintsIndentedXml) {
  auto e = parse_fragment("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(pretty(e.value().front()->root()),
            "<iq type='get'>\n  <query xmlns='jabber:iq:roster'/>\n</iq>\n");
}

TEST(Fragment, RejectsMalformedXml) {
  EXPECT_FALSE(parse_fragment("<iq><query></iq>").ok());
  EXPECT_FALSE(parse_fragment("<iq>").ok());
  EXPECT_FALSE(parse_fragment("").ok());
  auto two = parse_fragment("<a/><b/>");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two.value().size(), 2U);
}

}  // namespace
}  // namespace tern::conformance
