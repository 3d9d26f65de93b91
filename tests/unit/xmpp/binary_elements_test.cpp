// SPDX-License-Identifier: MIT
// Frames and element forms (docs/binary-xmpp.md sections 4–6): the frame-level opcodes, the
// empty, text and full forms, counts past their short range, literal names, attributes, mixed
// content and the stanza form, each with its bytes and its round trip.
#include <gtest/gtest.h>

#include "tests/unit/xmpp/binary_test_util.h"
#include "xmpp/binary/format.h"

namespace tern::xmpp::binary {
namespace {

using testing::body;
using testing::byte;
using testing::Direction;
using testing::element_token;
using testing::hex;

TEST(BinaryFrames, StreamManagementShortForms) {
  Direction d;
  EXPECT_EQ(hex(d.send("<r xmlns='urn:xmpp:sm:3'/>")), "01f2");
  EXPECT_EQ(hex(d.send("<a xmlns='urn:xmpp:sm:3' h='5'/>")), "02f305");
  EXPECT_EQ(hex(d.send("<a xmlns='urn:xmpp:sm:3' h='1000'/>")), "03f3e807");
  EXPECT_EQ(hex(d.send("<a xmlns='urn:xmpp:sm:3' h='4294967295'/>")), "06f3ffffffff0f");
  // Anything else is an ordinary element: past 2^32, a leading zero, another attribute.
  for (const char* other :
       {"<a xmlns='urn:xmpp:sm:3' h='4294967296'/>", "<a xmlns='urn:xmpp:sm:3' h='05'/>",
        "<a xmlns='urn:xmpp:sm:3' h='5' x='1'/>", "<r xmlns='urn:xmpp:sm:2'/>"}) {
    std::string frame = d.send(other);
    EXPECT_LT(static_cast<std::uint8_t>(frame[1]), ebyte::kStreamOpen) << other;
  }
}

TEST(BinaryFrames, StreamHeaderCloseAndKeepalive) {
  Encoder e(Role::Initiator);
  Decoder d(Role::Initiator);
  StreamHeader h{"s.example.net", "juliet@s.example.net", "", "1.0", "en", "jabber:client"};
  std::string frame;
  e.encode_stream_open(h, frame);
  // F0, flags (to, from, version, lang), then the values: a JID literal is no part form, so the
  // addresses are literals; "1.0" and "en" are tokens.
  EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), ebyte::kStreamOpen);
  EXPECT_EQ(frame[2], 0x1B);
  Frame f;
  ASSERT_TRUE(d.decode(frame, f).ok());
  EXPECT_EQ(f.kind, FrameKind::StreamOpen);
  EXPECT_EQ(f.header.to, h.to);
  EXPECT_EQ(f.header.from, h.from);
  EXPECT_EQ(f.header.version, "1.0");
  EXPECT_EQ(f.header.lang, "en");
  EXPECT_EQ(f.header.content_ns, "jabber:client");
  EXPECT_EQ(d.state().stream_domain, "s.example.net");  // an initiator's `to`

  StreamHeader server{"", "s.example.net", "abc", "1.0", "", "jabber:server"};
  frame.clear();
  Encoder se(Role::Responder);
  Decoder sd(Role::Responder);
  se.encode_stream_open(server, frame);
  EXPECT_EQ(frame[2], 0x2E);  // from, id, version, content namespace
  ASSERT_TRUE(sd.decode(frame, f).ok());
  EXPECT_EQ(f.header.content_ns, "jabber:server");
  EXPECT_EQ(sd.state().stream_domain, "s.example.net");  // a responder's `from`

  frame.clear();
  Encoder::encode_stream_close(frame);
  EXPECT_EQ(hex(frame), "01f1");
  ASSERT_TRUE(d.decode(frame, f).ok());
  EXPECT_EQ(f.kind, FrameKind::StreamClose);
  frame.clear();
  Encoder::encode_keepalive(frame);
  EXPECT_EQ(hex(frame), "00");
  auto used = d.decode(frame, f);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 1U);
  EXPECT_EQ(f.kind, FrameKind::Keepalive);
}

TEST(BinaryFrames, LengthPrefixAndPartialInput) {
  Direction d;
  std::string big = d.send("<message><body>" + std::string(300, 'x') + " y</body></message>");
  EXPECT_EQ(static_cast<std::uint8_t>(big[0]) & 0x80, 0x80);  // a two-byte length
  std::string two = big + d.send("<r xmlns='urn:xmpp:sm:3'/>");
  Decoder fresh(Role::Responder);
  Frame f;
  for (std::size_t cut = 0; cut < big.size(); ++cut) {
    auto used = fresh.decode(std::string_view(two).substr(0, cut), f);
    ASSERT_TRUE(used.ok()) << cut;
    EXPECT_EQ(*used, 0U) << cut;  // a partial frame: wait for more
  }
  auto used = fresh.decode(two, f);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, big.size());
  used = fresh.decode(std::string_view(two).substr(*used), f);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(f.stanza->root().name(), "r");
}

TEST(BinaryElements, EmptyAndTextForms) {
  Direction d;
  std::string frame = d.send("<message><request xmlns='urn:xmpp:receipts'/></message>");
  int request = dict::empty_form_of(element_token("request", "urn:xmpp:receipts"));
  ASSERT_GE(request, 0);
  // message token, stanza shape (children only), count 1, the empty form.
  EXPECT_EQ(hex(body(frame)), hex(byte(element_token("message", "jabber:client")) + byte(0x80) +
                                  byte(1) + byte(ebyte::kEmptyFirst + request)));
  frame = d.send("<x xmlns='jabber:x:oob'><url>abc def</url></x>");
  int url = dict::text_form_of(element_token("url", "jabber:x:oob"));
  ASSERT_GE(url, 0);
  EXPECT_NE(body(frame).find(byte(ebyte::kTextFirst + url) + byte(7) + "abc def"),
            std::string::npos);
  // The same element with an attribute takes the full form.
  frame = d.send("<x xmlns='jabber:x:oob'><url a='1'>abc def</url></x>");
  EXPECT_EQ(body(frame).find(byte(ebyte::kTextFirst + url)), std::string::npos);
}

TEST(BinaryElements, FullFormShapeAndLongCounts) {
  Direction d;
  // Seven attributes or more: the count follows the shape byte as a varint.
  std::string frame = d.send(
      "<info xmlns='urn:xmpp:avatar:metadata' bytes='1' height='2' id='3' type='image/png' "
      "width='4' url='https://a.example/x' z='7'/>");
  std::string b = body(frame);
  EXPECT_EQ(hex(b.substr(0, 3)),
            hex(byte(element_token("info", "urn:xmpp:avatar:metadata")) + byte(0x07) + byte(7)));
  // Fifteen children or more: likewise.
  std::string items;
  for (int i = 0; i < 20; ++i) {
    items += "<item jid='u" + std::to_string(i) + "@s.example.net'/>";
  }
  frame = d.send("<query xmlns='jabber:iq:roster' ver='5'>" + items + "</query>");
  ASSERT_GT(frame.size(), 129U);  // a two-byte length, then the body
  EXPECT_EQ(static_cast<std::uint8_t>(frame[3]), 0x01 | 15 << 3);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[4]), 20);
}

TEST(BinaryElements, MixedContent) {
  Direction d;
  std::string frame = d.send(
      "<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
      "xmlns='http://www.w3.org/1999/xhtml'>Hello <b>big</b> world<br/>!</body></html>");
  // Text first (shape bit 7), then an element, a text item (E3), an element, a text item.
  EXPECT_NE(body(frame).find(byte(ebyte::kText) + byte(6) + " world"), std::string::npos);
  d.send("<x xmlns='urn:t'>\n  <y/>\n</x>");  // whitespace between elements is text too
}

TEST(BinaryElements, LiteralNamesAndNamespaces) {
  Direction d;
  // An unknown child in its parent's namespace: E1 + name.
  std::string frame = d.send("<x xmlns='jabber:x:oob'><thing>1</thing></x>");
  EXPECT_NE(body(frame).find(byte(ebyte::kLiteralName) + byte(5) + "thing"), std::string::npos);
  // In another namespace: E2 + name + namespace; a known namespace is a token.
  frame = d.send("<message><thing xmlns='urn:xmpp:receipts'/></message>");
  int receipts = testing::value_token("urn:xmpp:receipts");
  ASSERT_GE(receipts, 0);
  std::string ns = receipts < 96 ? byte(vbyte::kTokenFirst + receipts)
                                 : byte(vbyte::kValuePage1) + byte(receipts - 96);
  EXPECT_NE(body(frame).find(byte(ebyte::kLiteralNameNs) + byte(5) + "thing" + ns),
            std::string::npos);
  // An element on page 1 of the table (a stanza error condition).
  int token = element_token("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas");
  ASSERT_GE(token, 128);
  frame = d.send(
      "<iq type='error' id='1'><error type='cancel'><item-not-found "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text></error></iq>");
  if (dict::empty_form_of(token) < 0) {
    EXPECT_NE(body(frame).find(byte(ebyte::kPage1) + byte(token - 128)), std::string::npos);
  }
  // A name that is a value token is still a name: E1 with the token as the name.
  d.send("<x xmlns='urn:t'><chat/></x>");
}

TEST(BinaryElements, Attributes) {
  Direction d;
  std::string frame = d.send("<x xmlns='urn:t' unknown='1' xml:lang='de'/>");
  std::string b = body(frame);
  EXPECT_NE(b.find(byte(abyte::kLiteralName) + byte(7) + "unknown"), std::string::npos);
  EXPECT_NE(b.find(byte(dict::find_attribute("lang", "http://www.w3.org/XML/1998/namespace"))),
            std::string::npos);
  frame = d.send("<x xmlns='urn:t' xmlns:p='urn:other' p:attr='v'/>");
  EXPECT_NE(
      body(frame).find(byte(abyte::kLiteralNameNs) + byte(4) + "attr" + byte(9) + "urn:other"),
      std::string::npos);
}

TEST(BinaryElements, StanzaFormHeader) {
  Direction d;
  d.open();
  int message = element_token("message", "jabber:client");
  // from, to, id, type chat (code 1), no children.
  std::string frame = d.send(
      "<message from='a@s.example.net' to='b@s.example.net' id='x' "
      "type='chat'/>");
  std::string b = body(frame);
  EXPECT_EQ(static_cast<std::uint8_t>(b[0]), message);
  EXPECT_EQ(static_cast<std::uint8_t>(b[1]), 0x01 | 0x02 | 0x04 | 1 << 3);
  // Type codes per kind; a type not in the list is explicit (code 7) after the id.
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send("<iq type='result' id='1'/>"))[1]),
            0x04 | 3 << 3);
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send("<presence type='unavailable'/>"))[1]), 1 << 3);
  std::string probe = body(d.send("<presence type='probe' to='a@s.example.net'/>"));
  EXPECT_EQ(static_cast<std::uint8_t>(probe[1]), 0x02 | 7 << 3);
  std::string custom = body(d.send("<message type='x custom'/>"));
  EXPECT_EQ(custom.substr(1), byte(7 << 3) + byte(8) + "x custom");
  // Other attributes: bit 6, a count and ordinary attributes after the type.
  std::string lang = body(d.send("<message type='chat' xml:lang='en'><body>hi</body></message>"));
  EXPECT_EQ(static_cast<std::uint8_t>(lang[1]), 1 << 3 | 0x40 | 0x80);
  EXPECT_EQ(static_cast<std::uint8_t>(lang[2]), 1);
  // jabber:server stanzas use the same form (page 1 tokens).
  d.send("<message xmlns='jabber:server' type='chat' id='1'/>");
}

TEST(BinaryElements, ForwardedStanzasKeepTheirForm) {
  Direction d;
  d.open();
  d.own("me@s.example.net/phone");
  d.send(
      "<message from='me@s.example.net' to='me@s.example.net/phone' type='chat'>"
      "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
      "<message xmlns='jabber:client' from='me@s.example.net/desktop' to='juliet@s.example.net' "
      "type='chat' id='abc'><body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='abc'/>"
      "</message></forwarded></sent></message>");
  // The inner stanza's addresses were routed: the table now holds them.
  EXPECT_GE(d.encoder.state().table.find("me@s.example.net/desktop"), 0);
  EXPECT_GE(d.encoder.state().table.find("juliet@s.example.net"), 0);
}

TEST(BinaryElements, TreesTheEncoderRefuses) {
  Encoder e(Role::Initiator);
  auto s = testing::parse("<message><body>x</body></message>");
  std::string frame = "keep";
  s->root().set_attr("bad name", "1");
  auto r = e.encode(s->root(), frame);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EncodeError::InvalidName);
  EXPECT_EQ(frame, "keep");  // nothing written
  auto t = testing::parse("<message/>");
  t->root().set_attr("xmlns", "urn:evil");
  EXPECT_EQ(e.encode(t->root(), frame).error(), EncodeError::ReservedName);
  auto u = testing::parse("<message/>");
  Element* at = &u->root();
  for (int i = 0; i < 40; ++i) {
    at = &at->add_child("x", "urn:t");
  }
  EXPECT_EQ(e.encode(u->root(), frame).error(), EncodeError::TooDeep);
  auto v = testing::parse("<message/>");
  Element& child = v->root().add_child(
      "gr\xC3\xBC\xC3\x9F"
      "e",
      "urn:t");
  (void)child;
  EXPECT_EQ(e.encode(v->root(), frame).error(), EncodeError::InvalidName);
}

}  // namespace
}  // namespace tern::xmpp::binary
