// SPDX-License-Identifier: MIT
#include "xmpp/serializer.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace tern::xmpp {
namespace {

std::string write(const Element& e, std::string_view content_ns = ns::kClient) {
  std::string out;
  Serializer(content_ns).write(out, e);
  return out;
}

TEST(Serializer, ContentNamespaceIsNotRepeated) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  s->root().set_attr("to", "juliet@example.com").add_child("body").set_text("hi");
  EXPECT_EQ(write(s->root()), "<message to='juliet@example.com'><body>hi</body></message>");
}

TEST(Serializer, ForeignNamespacesDeclaredOnceAtTheirTop) {
  StanzaPtr s = Stanza::create("iq", ns::kClient);
  Element& query = s->root().add_child("query", ns::kRoster);
  query.add_child("item").set_attr("jid", "romeo@example.net").add_child("group").set_text("F");
  EXPECT_EQ(write(s->root()),
            "<iq><query xmlns='jabber:iq:roster'><item jid='romeo@example.net'><group>F</group>"
            "</item></query></iq>");
}

TEST(Serializer, ReturnsToTheOuterNamespace) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  Element& x = s->root().add_child("x", "urn:a");
  x.add_child("body", ns::kClient);  // back in jabber:client inside urn:a
  EXPECT_EQ(write(s->root()),
            "<message><x xmlns='urn:a'><body xmlns='jabber:client'/></x></message>");
}

TEST(Serializer, StanzaFromAnotherContentNamespaceKeepsItsXmlns) {
  StanzaPtr s = Stanza::create("message", ns::kServer);
  EXPECT_EQ(write(s->root()), "<message xmlns='jabber:server'/>");
  EXPECT_EQ(write(s->root(), ns::kServer), "<message/>");
}

TEST(Serializer, StreamNamespaceUsesThePrefix) {
  StanzaPtr s = Stanza::create("features", ns::kStreams);
  s->root().add_child("starttls", ns::kTls).add_child("required");
  EXPECT_EQ(write(s->root()),
            "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
            "</starttls></stream:features>");
  EXPECT_EQ(to_xml(s->root()),
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><starttls "
            "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
}

TEST(Serializer, XmlLangAndOtherNamespacedAttributes) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  s->root().set_attr("lang", ns::kXml, "de");
  s->root().set_attr("flag", "urn:ext", "1");
  std::string out = write(s->root());
  EXPECT_EQ(out, "<message xml:lang='de' xmlns:ns1='urn:ext' ns1:flag='1'/>");
  StanzaPtr again = testing::parse_one(out);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->root().attr("lang", ns::kXml), "de");
  EXPECT_EQ(again->root().attr("flag", "urn:ext"), "1");
}

TEST(Serializer, EscapesTextAndAttributes) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  s->root().set_attr("id", "a'b\"c<d>&e\tf\ng");
  s->root().add_child("body").set_text("1 < 2 && 3 > 2 ]]> \r\n 'q' \"dq\"");
  std::string out = write(s->root());
  EXPECT_EQ(out,
            "<message id='a&apos;b&quot;c&lt;d&gt;&amp;e&#9;f&#10;g'><body>1 &lt; 2 &amp;&amp; 3 "
            "&gt; 2 ]]&gt; &#13;\n 'q' \"dq\"</body></message>");
  // Everything survives a parse: attribute normalisation and line-end handling included.
  StanzaPtr back = testing::parse_one(out);
  ASSERT_NE(back, nullptr);
  EXPECT_TRUE(equal_trees(s->root(), back->root())) << out;
}

TEST(Serializer, MixedContentRoundTrips) {
  StanzaPtr s = testing::parse_one("<message><body>a<b xmlns='urn:b'>x</b>c</body></message>");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(write(s->root()), "<message><body>a<b xmlns='urn:b'>x</b>c</body></message>");
}

TEST(Serializer, EmptyNamespaceUndeclaresTheDefault) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  Element* bare = Element::create(s->arena(), "plain", "");
  s->root().append(bare);
  EXPECT_EQ(write(s->root()), "<message><plain xmlns=''/></message>");
}

TEST(Serializer, StreamOpenAndClose) {
  StreamHeader h;
  h.id = "s1";
  h.from = "example.com";
  h.to = "juliet@example.com";
  h.version = "1.0";
  h.lang = "en";
  std::string out;
  Serializer serializer;
  serializer.write_stream_open(out, h);
  EXPECT_EQ(out,
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.com' "
            "to='juliet@example.com' version='1.0' xml:lang='en'>");
  Serializer::write_stream_close(out);
  EXPECT_TRUE(out.ends_with("</stream:stream>"));
  // Our own header parses with our own parser.
  testing::RecordingSink sink;
  StreamParser parser(sink);
  parser.feed(out);
  ASSERT_EQ(sink.headers.size(), 1U);
  EXPECT_EQ(sink.headers[0].id, "s1");
  EXPECT_EQ(sink.closes, 1);
}

TEST(Serializer, AppendsIntoReusedBuffer) {
  StanzaPtr s = Stanza::create("r", ns::kStreamManagement);
  std::string buffer;
  Serializer serializer;
  serializer.write(buffer, s->root());
  serializer.write(buffer, s->root());
  EXPECT_EQ(buffer, "<r xmlns='urn:xmpp:sm:3'/><r xmlns='urn:xmpp:sm:3'/>");
}

}  // namespace
}  // namespace tern::xmpp
