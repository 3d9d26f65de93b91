// SPDX-License-Identifier: MIT
// What a decoder refuses (docs/binary-xmpp.md section 9): every code point that is reserved or
// out of range, literals that are not XML text or names, duplicates, references to nothing, the
// limits, and truncation anywhere. Every refusal is a DecodeError, never a crash; limits map to
// policy-violation and everything else to not-well-formed.
#include <gtest/gtest.h>

#include "tests/unit/xmpp/binary_corpus.h"
#include "tests/unit/xmpp/binary_test_util.h"
#include "xmpp/binary/format.h"

namespace tern::xmpp::binary {
namespace {

using testing::byte;

// A frame around `body`.
std::string frame(const std::string& body) {
  std::string out;
  std::size_t n = body.size();
  do {
    out += static_cast<char>((n & 0x7F) | (n >= 0x80 ? 0x80 : 0));
    n >>= 7;
  } while (n != 0);
  return out + body;
}

DecodeErrorKind refused(const std::string& body, Limits limits = {}, bool open = true,
                        std::string_view own = {}) {
  Decoder d(Role::Responder, limits);
  if (open) {
    Encoder e(Role::Responder);
    std::string header;
    e.encode_stream_open({"", "s.example.net", "", "1.0", "", "jabber:client"}, header);
    Frame f;
    EXPECT_TRUE(d.decode(header, f).ok());
  }
  if (!own.empty()) {
    d.set_own_jid(own);
  }
  Frame f;
  auto r = d.decode(frame(body), f);
  EXPECT_FALSE(r.ok()) << testing::hex(body);
  return r.ok() ? DecodeErrorKind::Malformed : r.error().kind;
}

const std::string kMessage = byte(testing::element_token("message", "jabber:client"));
const std::string kX = byte(testing::element_token("x", "jabber:x:oob"));
const std::string kUrl =
    byte(ebyte::kTextFirst + dict::text_form_of(testing::element_token("url", "jabber:x:oob")));
const std::string kBody =
    byte(ebyte::kTextFirst + dict::text_form_of(testing::element_token("body", "jabber:client")));

// <x xmlns='jabber:x:oob'> with one attribute `name` (a literal) = value bytes.
std::string x_with_attr(const std::string& value) {
  return kX + byte(0x01) + byte(abyte::kLiteralName) + byte(1) + "a" + value;
}

TEST(BinaryErrors, ReservedAndOutOfRangeCodes) {
  EXPECT_EQ(refused(byte(0xE4)), DecodeErrorKind::Malformed);  // reserved E-byte
  EXPECT_EQ(refused(byte(ebyte::kText) + byte(1) + "a"), DecodeErrorKind::Malformed);  // text root
  EXPECT_EQ(refused(kX + byte(0x08) + byte(ebyte::kSmRequest)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(byte(ebyte::kPage1) + byte(0xFF) + byte(0)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(kX + byte(0x01) + byte(0xF0) + byte(0)), DecodeErrorKind::Malformed);  // attr
  EXPECT_EQ(refused(x_with_attr(byte(0x53))), DecodeErrorKind::Malformed);  // reserved V-byte
  EXPECT_EQ(refused(x_with_attr(byte(0x5B))), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kValuePage1) + byte(0xFF))),
            DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kPrefix) + byte(0xFF) + byte(1) + "a")),
            DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kPrefix) + byte(0) + byte(vbyte::kPrefix))),
            DecodeErrorKind::Malformed);  // no prefix inside a prefix
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJid) + byte(0x10))), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJid) + byte(0x0C))), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJid) + byte(0x04) + byte(0))),
            DecodeErrorKind::Malformed);  // trailing byte after an empty-part-free JID...
  EXPECT_EQ(refused(byte(ebyte::kStreamOpen) + byte(0x40)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(byte(ebyte::kStreamClose) + byte(0)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(byte(ebyte::kSmAck) + "\xff\xff\xff\xff\x10"), DecodeErrorKind::Malformed);
}

TEST(BinaryErrors, StanzaTypeCodesOutsideTheList) {
  int iq = testing::element_token("iq", "jabber:client");
  EXPECT_EQ(refused(kMessage + byte(6 << 3)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(byte(iq) + byte(5 << 3)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(kMessage + byte(0x40) + byte(0)), DecodeErrorKind::Malformed);  // 0 extras
  EXPECT_EQ(refused(kMessage + byte(0x80) + byte(0)), DecodeErrorKind::Malformed);  // 0 children
}

TEST(BinaryErrors, VarintsAndTypedValues) {
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kUint) + std::string("\x80\x00", 2))),
            DecodeErrorKind::Malformed);  // overlong
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kUint) + std::string(10, '\xff') + "\x01")),
            DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kNegInt) + byte(0))), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kHexLower) + byte(3) + "\x1a\xbc")),
            DecodeErrorKind::Malformed);  // odd count, non-zero first nibble
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kHexLower) + byte(0))), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kTimeSeconds) + "\x80\x80\x80\x80\x80\x80\x01")),
            DecodeErrorKind::Malformed);  // past the year 9999
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kUuidLower) + "short")), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJpeg) + byte(7))), DecodeErrorKind::Malformed);
  EXPECT_EQ(
      refused(x_with_attr(byte(vbyte::kJpeg) + byte(1) + byte(0x24) + byte(0) + byte(3) + byte(0))),
      DecodeErrorKind::Malformed);  // Th 4
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJpeg) + byte(2) + byte(0) + byte(0) + byte(0))),
            DecodeErrorKind::Malformed);  // quality 0
}

TEST(BinaryErrors, LiteralsMustBeXmlText) {
  for (const std::string& bad : {std::string("\xC3"), std::string("\xC0\x80"), std::string("a\x01"),
                                 std::string("\xEF\xBF\xBE"), std::string("\xED\xA0\x80"),
                                 std::string("\xF4\x90\x80\x80")}) {
    EXPECT_EQ(refused(x_with_attr(byte(static_cast<int>(bad.size())) + bad)),
              DecodeErrorKind::InvalidText)
        << testing::hex(bad);
  }
  // TAB, LF and CR are text.
  Decoder d(Role::Responder);
  Frame f;
  EXPECT_TRUE(d.decode(frame(x_with_attr(byte(3) + "\t\n\r")), f).ok());
}

TEST(BinaryErrors, NamesMustBeNcNames) {
  for (const std::string& bad : {std::string("a b"), std::string("1x"), std::string(""),
                                 std::string("a:b"), std::string("b\xC3\xBC")}) {
    std::string body = kX + byte(0x08);
    body += byte(ebyte::kLiteralName);
    body += byte(static_cast<int>(bad.size()));
    body += bad;
    body += byte(0);
    EXPECT_EQ(refused(body), DecodeErrorKind::InvalidName) << bad;
  }
  // A value token that is no name ("image/jpeg") as an element name.
  int token = testing::value_token("image/jpeg");
  ASSERT_GE(token, 0);
  ASSERT_LT(token, 96);
  EXPECT_EQ(refused(kX + byte(0x08) + byte(ebyte::kLiteralName) + byte(vbyte::kTokenFirst + token) +
                    byte(0)),
            DecodeErrorKind::InvalidName);
  // xmlns is no attribute; the xmlns and xml namespaces are no element namespace.
  EXPECT_EQ(refused(kX + byte(0x01) + byte(abyte::kLiteralName) + byte(5) + "xmlns" + byte(0)),
            DecodeErrorKind::InvalidName);
  EXPECT_EQ(refused(kX + byte(0x01) + byte(abyte::kLiteralNameNs) + byte(1) + "p" + byte(29) +
                    "http://www.w3.org/2000/xmlns/" + byte(0)),
            DecodeErrorKind::InvalidName);
  EXPECT_EQ(refused(byte(ebyte::kLiteralNameNs) + byte(1) + "e" + byte(36) +
                    "http://www.w3.org/XML/1998/namespace" + byte(0)),
            DecodeErrorKind::InvalidName);
}

TEST(BinaryErrors, DuplicateAttributes) {
  int id = dict::find_attribute("id", "");
  EXPECT_EQ(refused(kX + byte(0x02) + byte(id) + byte(1) + "a" + byte(id) + byte(1) + "b"),
            DecodeErrorKind::Duplicate);
  // A stanza's id given again among its other attributes.
  EXPECT_EQ(
      refused(kMessage + byte(0x04 | 0x40) + byte(1) + "a" + byte(1) + byte(id) + byte(1) + "b"),
      DecodeErrorKind::Duplicate);
}

TEST(BinaryErrors, TextItems) {
  EXPECT_EQ(refused(kUrl + byte(0)), DecodeErrorKind::Malformed);  // empty text
  EXPECT_EQ(refused(kX + byte(0x88) + byte(1) + "a" + byte(ebyte::kText) + byte(1) + "b"),
            DecodeErrorKind::Malformed);  // two text items in a row
  int chat = testing::value_token("chat");
  EXPECT_EQ(refused(kMessage + byte(0x80) + byte(1) + kBody + byte(vbyte::kTokenFirst + chat)),
            DecodeErrorKind::Malformed);  // message text must be a literal
}

TEST(BinaryErrors, ReferencesToNothing) {
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kStanzaId))), DecodeErrorKind::BadReference);
  EXPECT_EQ(refused(kMessage + byte(0x04 | 0x80) + byte(1) + "i" + byte(1) + kX + byte(0x01) +
                    byte(abyte::kLiteralName) + byte(1) + "a" + byte(vbyte::kStanzaTo)),
            DecodeErrorKind::BadReference);  // the stanza has no `to`
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kOwnFull))), DecodeErrorKind::BadReference);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kStreamDomain)), {}, false),
            DecodeErrorKind::BadReference);
  EXPECT_EQ(refused(x_with_attr(byte(vbyte::kJid) + byte(0x04)), {}, false),
            DecodeErrorKind::BadReference);
  EXPECT_EQ(refused(kMessage + byte(0x01) + byte(vbyte::kTableFirst)),
            DecodeErrorKind::BadReference);  // empty table
  EXPECT_EQ(refused(kMessage + byte(0x01) + byte(vbyte::kTableBare) + byte(0)),
            DecodeErrorKind::BadReference);
  // Bound, the own JID is fine.
  Decoder d(Role::Responder);
  d.set_own_jid("a@b/c");
  Frame f;
  ASSERT_TRUE(d.decode(frame(x_with_attr(byte(vbyte::kOwnBare))), f).ok());
  EXPECT_EQ(f.stanza->root().attr("a"), "a@b");
}

TEST(BinaryErrors, Limits) {
  Limits small;
  small.max_depth = 3;
  small.max_attributes = 2;
  small.max_frame_bytes = 40;
  small.max_expanded_bytes = 100;
  // Depth 4: x > x > x > x.
  std::string deep = kX + byte(0x08) + kX + byte(0x08) + kX + byte(0x08) + kX + byte(0x00);
  EXPECT_EQ(refused(deep, small), DecodeErrorKind::LimitExceeded);
  int id = dict::find_attribute("id", "");
  int to = dict::find_attribute("to", "");
  int type = dict::find_attribute("type", "");
  EXPECT_EQ(
      refused(kX + byte(0x03) + byte(id) + byte(0) + byte(to) + byte(0) + byte(type) + byte(0),
              small),
      DecodeErrorKind::LimitExceeded);
  EXPECT_EQ(refused(std::string(41, '\x01'), small), DecodeErrorKind::LimitExceeded);
  // Expansion: 30 packed bytes of hex are 60 characters, twice over the limit of 100.
  std::string hex = byte(vbyte::kHexLower) + byte(60) + std::string(30, '\x11');
  EXPECT_EQ(refused(kX + byte(0x02) + byte(id) + hex + byte(to) + hex, small),
            DecodeErrorKind::LimitExceeded);
  // A JPEG of references: each Huffman item is 3 bytes and expands to about 250 characters.
  std::string jpeg = byte(vbyte::kJpeg);
  for (int i = 0; i < 8; ++i) {
    jpeg += byte(1) + byte(0x10) + byte(0);
  }
  jpeg += byte(3) + byte(0);
  Limits expand;
  expand.max_expanded_bytes = 1000;
  EXPECT_EQ(refused(x_with_attr(jpeg), expand), DecodeErrorKind::LimitExceeded);
  // The frame-size limit applies before the frame is complete.
  Decoder d(Role::Responder, small);
  Frame f;
  auto r = d.decode("\x80\x01", f);  // announces 128 bytes
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DecodeErrorKind::LimitExceeded);
  EXPECT_EQ(r.error().condition(), StreamCondition::PolicyViolation);
}

TEST(BinaryErrors, FrameLengthAndTrailingBytes) {
  Decoder d(Role::Responder);
  Frame f;
  auto r = d.decode(std::string("\x80\x00", 2), f);  // overlong length
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().condition(), StreamCondition::NotWellFormed);
  EXPECT_EQ(refused(byte(ebyte::kSmRequest) + byte(0)), DecodeErrorKind::Malformed);
  EXPECT_EQ(refused(kUrl + byte(1) + "a" + byte(0)), DecodeErrorKind::Malformed);
}

TEST(BinaryErrors, EveryTruncationOfRealFramesIsRefused) {
  auto lines = testing::load_corpus();
  ASSERT_FALSE(lines.empty());
  testing::Connection connection;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    const auto& line = lines[i];
    std::string full;
    ASSERT_TRUE(connection.encode(line.item, line.from_client, full));
    Decoder& live = connection.decoder(line.from_client);
    std::size_t header = static_cast<std::uint8_t>(full[0]) < 0x80 ? 1 : 2;
    std::string body = full.substr(header);
    for (std::size_t cut = 1; cut < body.size(); cut += 1 + body.size() / 64) {
      Decoder copy = live;  // the state as the real frame will find it
      Frame f;
      auto r = copy.decode(frame(body.substr(0, cut)), f);
      EXPECT_FALSE(r.ok()) << line.xml << " cut at " << cut;
      ++checked;
    }
    Frame f;
    ASSERT_TRUE(live.decode(full, f).ok());
    connection.after(line.item);
  }
  EXPECT_GT(checked, 1000U);
}

}  // namespace
}  // namespace tern::xmpp::binary
