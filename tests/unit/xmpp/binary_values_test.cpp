// SPDX-License-Identifier: MIT
// Every value form of docs/binary-xmpp.md section 7: the exact bytes the reference encoder writes
// for it, and the round trip through the decoder. Values are carried in the stamp attribute of
// <delay xmlns='urn:xmpp:delay'/> (a dictionary element and attribute), so a frame body is
// [delay][shape][stamp] followed by the value.
#include <gtest/gtest.h>

#include "tests/unit/xmpp/binary_test_util.h"
#include "xmpp/base64.h"
#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/typed.h"

namespace tern::xmpp::binary {
namespace {

using testing::byte;
using testing::Direction;
using testing::hex;
using testing::unhex;

std::string escape_attr(std::string_view v) {
  std::string out;
  for (char c : v) {
    out += c == '\''  ? std::string("&apos;")
           : c == '&' ? std::string("&amp;")
           : c == '<' ? std::string("&lt;")
                      : std::string(1, c);
  }
  return out;
}

// The bytes of `value` as an attribute value, after a round trip.
std::string value_bytes(Direction& d, std::string_view value) {
  std::string frame = d.send("<delay xmlns='urn:xmpp:delay' stamp='" + escape_attr(value) + "'/>");
  std::size_t header = frame.size() - 1 < 128 ? 1 : 2;
  std::string prefix = byte(testing::element_token("delay", "urn:xmpp:delay")) + byte(0x01) +
                       byte(dict::find_attribute("stamp", ""));
  EXPECT_EQ(hex(frame.substr(header, 3)), hex(prefix));
  return frame.substr(header + 3);
}

class BinaryValues : public ::testing::Test {
 protected:
  void SetUp() override { d.open("s.example.net"); }
  Direction d;
};

TEST_F(BinaryValues, ShortAndLongLiterals) {
  EXPECT_EQ(value_bytes(d, "hello world"), byte(11) + "hello world");
  EXPECT_EQ(value_bytes(d, ""), byte(0));
  std::string text;
  for (int i = 0; i < 10; ++i) {
    text += "hello world ";
  }
  EXPECT_EQ(value_bytes(d, text), byte(vbyte::kLiteral) + byte(120) + text);
  EXPECT_EQ(value_bytes(d, "grüße 👍"), byte(12) + "grüße 👍");  // 12 bytes of UTF-8
}

TEST_F(BinaryValues, TokensOnBothPages) {
  int chat = testing::value_token("chat");
  ASSERT_GE(chat, 0);
  ASSERT_LT(chat, 96);
  EXPECT_EQ(value_bytes(d, "chat"), byte(vbyte::kTokenFirst + chat));
  std::string_view page1 = dict::kValues[96];
  EXPECT_EQ(value_bytes(d, page1), byte(vbyte::kValuePage1) + byte(0));
  std::string_view last = dict::kValues[dict::kValueCount - 1];
  EXPECT_EQ(value_bytes(d, last),
            byte(vbyte::kValuePage1) + byte(static_cast<int>(dict::kValueCount - 1 - 96)));
}

TEST_F(BinaryValues, UuidsInEitherCase) {
  EXPECT_EQ(hex(value_bytes(d, "073fdb3a-fd6e-4066-bb90-90b0e827711a")),
            "41073fdb3afd6e4066bb9090b0e827711a");
  EXPECT_EQ(hex(value_bytes(d, "073FDB3A-FD6E-4066-BB90-90B0E827711A")),
            "42073fdb3afd6e4066bb9090b0e827711a");
  // Mixed case is no UUID; it is canonical base64url, though (27 bytes).
  std::string mixed = value_bytes(d, "073fdb3a-FD6e-4066-bb90-90b0e827711a");
  EXPECT_EQ(static_cast<std::uint8_t>(mixed[0]), vbyte::kB64UrlPad);
  EXPECT_EQ(mixed.size(), 29U);
}

TEST_F(BinaryValues, HexPacksTwoDigitsPerByte) {
  EXPECT_EQ(hex(value_bytes(d, "ecbf5405954647e42fccddf8f46c184e64ce1b74")),
            "4328ecbf5405954647e42fccddf8f46c184e64ce1b74");
  EXPECT_EQ(hex(value_bytes(d, "3EB0A")), "440503eb0a");  // odd: a zero nibble first
  EXPECT_EQ(hex(value_bytes(d, "5933a")), "430505933a");
  // A tie between hex and a literal goes to the literal (the smaller first byte).
  EXPECT_EQ(value_bytes(d, "007"), byte(3) + "007");
}

TEST_F(BinaryValues, DecimalIntegersAsVarints) {
  EXPECT_EQ(hex(value_bytes(d, "1234567")), "4587ad4b");
  EXPECT_EQ(hex(value_bytes(d, "42")), "452a");
  EXPECT_EQ(value_bytes(d, "0"), byte(vbyte::kTokenFirst + testing::value_token("0")));
  EXPECT_EQ(hex(value_bytes(d, "-42")), "462a");
  EXPECT_EQ(hex(value_bytes(d, "18446744073709551615")), "45ffffffffffffffffff01");
  // One more does not fit 64 bits: twenty digits are hex then.
  EXPECT_EQ(static_cast<std::uint8_t>(value_bytes(d, "18446744073709551616")[0]), vbyte::kHexLower);
  // "-0" and leading zeros are not canonical integers.
  EXPECT_EQ(value_bytes(d, "-0"), byte(2) + "-0");
}

TEST_F(BinaryValues, Base64InFourSpellings) {
  std::string padded = value_bytes(d, "bGcTKY2Xk0MJZA3/JBAfxQTI/swPxICWquGaQB0tm30=");
  EXPECT_EQ(static_cast<std::uint8_t>(padded[0]), vbyte::kB64Pad);
  EXPECT_EQ(static_cast<std::uint8_t>(padded[1]), 32);
  EXPECT_EQ(padded.substr(2), *xmpp::base64_decode("bGcTKY2Xk0MJZA3/JBAfxQTI/swPxICWquGaQB0tm30="));
  // No '+', '/', '-' or '_': the standard alphabet; a length of 4n: the padded tag.
  EXPECT_EQ(hex(value_bytes(d, "QFnPt9JXc3tsAA")), "480a4059cfb7d257737b6c00");
  EXPECT_EQ(hex(value_bytes(d, "mvmISWut1YQyBiT-")), "490c9af988496badd584320624fe");
  EXPECT_EQ(hex(value_bytes(d, "ab-_cA")), "4a0469bfbf70");
  // Not canonical (bits after the last byte, or both alphabets): a literal.
  EXPECT_EQ(value_bytes(d, "QR=="), byte(4) + "QR==");
  EXPECT_EQ(value_bytes(d, "ab+_cd-/"), byte(8) + "ab+_cd-/");
}

TEST_F(BinaryValues, TimestampsInSecondsAndMilliseconds) {
  std::uint64_t seconds = 1715640304;  // 2024-05-13T22:45:04Z
  std::string expected = byte(vbyte::kTimeSeconds);
  for (std::uint64_t v = seconds; v != 0; v >>= 7) {
    expected += static_cast<char>((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
  }
  EXPECT_EQ(hex(value_bytes(d, "2024-05-13T22:45:04Z")), hex(expected));
  std::string ms = value_bytes(d, "2024-05-13T22:45:04.123Z");
  EXPECT_EQ(static_cast<std::uint8_t>(ms[0]), vbyte::kTimeMillis);
  EXPECT_EQ(value_bytes(d, "1970-01-01T00:00:00Z"), byte(vbyte::kTimeSeconds) + byte(0));
  // Not a date, before 1970, a leap second, a time zone: literals.
  for (std::string_view bad : {"2024-02-30T00:00:00Z", "1969-12-31T23:59:59Z",
                               "2016-12-31T23:59:60Z", "2024-05-13T22:45:04+02:00"}) {
    EXPECT_EQ(static_cast<std::size_t>(value_bytes(d, bad)[0]), bad.size()) << bad;
  }
  EXPECT_EQ(static_cast<std::uint8_t>(value_bytes(d, "2000-02-29T12:00:00Z")[0]),
            vbyte::kTimeSeconds);  // a leap day
}

TEST(BinaryTyped, TimestampRangeAndFormat) {
  char out[24];
  ASSERT_TRUE(format_timestamp(253402300799ULL, false, out));
  EXPECT_EQ(std::string_view(out, 20), "9999-12-31T23:59:59Z");
  EXPECT_FALSE(format_timestamp(253402300800ULL, false, out));
  ASSERT_TRUE(format_timestamp(951825600123ULL, true, out));
  EXPECT_EQ(std::string_view(out, 24), "2000-02-29T12:00:00.123Z");
}

TEST_F(BinaryValues, PrefixAndSimpleRest) {
  int https = -1;
  for (std::size_t i = 0; i < dict::kPrefixCount; ++i) {
    if (dict::kPrefixes[i] == "https://") {
      https = static_cast<int>(i);
    }
  }
  ASSERT_GE(https, 0);
  EXPECT_EQ(value_bytes(d, "https://dino.im/x/y"),
            byte(vbyte::kPrefix) + byte(https) + byte(11) + "dino.im/x/y");
}

TEST_F(BinaryValues, JidLiteralsWithTheStreamDomain) {
  // local (an integer) @ stream domain / resource (prefix "Conversations." + literal)
  std::string full = value_bytes(d, "4915123456789@s.example.net/Conversations.iK2Z");
  EXPECT_EQ(static_cast<std::uint8_t>(full[0]), vbyte::kJid);
  EXPECT_EQ(full[1], jidflag::kLocal | jidflag::kResource | jidflag::kDomainStream);
  EXPECT_EQ(static_cast<std::uint8_t>(full[2]), vbyte::kUint);
  EXPECT_EQ(full.size(), 2 + 8 + 2 + 5U);
  EXPECT_EQ(hex(value_bytes(d, "upload.s.example.net")), "5008" + hex(byte(6) + "upload"));
  // Another domain is a part of its own (here a literal).
  EXPECT_EQ(hex(value_bytes(d, "4915123456789@example.com")),
            "5001459596c0a1868f01" + hex(byte(11) + "example.com"));
  // Where the JID form is not shorter, the literal stays.
  EXPECT_EQ(value_bytes(d, "juliet@example.com"), byte(18) + "juliet@example.com");
  EXPECT_EQ(value_bytes(d, "s.example.net"), byte(vbyte::kStreamDomain));
}

TEST_F(BinaryValues, OwnJidOnceBound) {
  std::string jid = "4915123456789@s.example.net/Conversations.iK2Z";
  EXPECT_EQ(static_cast<std::uint8_t>(value_bytes(d, jid)[0]), vbyte::kJid);
  d.own(jid);
  EXPECT_EQ(value_bytes(d, jid), byte(vbyte::kOwnFull));
  EXPECT_EQ(value_bytes(d, "4915123456789@s.example.net"), byte(vbyte::kOwnBare));
  d.open();  // a stream header unbinds it
  EXPECT_EQ(static_cast<std::uint8_t>(value_bytes(d, jid)[0]), vbyte::kJid);
}

TEST_F(BinaryValues, ReferencesToTheEnclosingStanza) {
  std::string frame = d.send(
      "<message from='room@groups.s.example.net/Alex' to='me@s.example.net' "
      "id='9f98dbb6-afe1-4639-bb8f-d4ca457bbd4d' type='groupchat'>"
      "<origin-id xmlns='urn:xmpp:sid:0' id='9f98dbb6-afe1-4639-bb8f-d4ca457bbd4d'/>"
      "<stanza-id xmlns='urn:xmpp:sid:0' by='room@groups.s.example.net' id='x'/>"
      "<reply xmlns='urn:xmpp:reply:0' to='room@groups.s.example.net/Alex' id='me@s.example.net'/>"
      "</message>");
  std::string b = testing::body(frame);
  int id = dict::find_attribute("id", "");
  int by = dict::find_attribute("by", "");
  int to = dict::find_attribute("to", "");
  EXPECT_NE(b.find(byte(id) + byte(vbyte::kStanzaId)), std::string::npos);
  EXPECT_NE(b.find(byte(by) + byte(vbyte::kStanzaFromBare)), std::string::npos);
  EXPECT_NE(b.find(byte(to) + byte(vbyte::kStanzaFrom)), std::string::npos);
  EXPECT_NE(b.find(byte(id) + byte(vbyte::kStanzaTo)), std::string::npos);
}

TEST_F(BinaryValues, MessageTextIsAlwaysALiteral) {
  // "chat" is a token and "2024-05-13T22:45:04Z" a timestamp, but not in a body.
  std::string frame = d.send(
      "<message><body>chat</body><subject>2024-05-13T22:45:04Z</subject>"
      "</message>");
  std::string b = testing::body(frame);
  EXPECT_NE(b.find(byte(4) + "chat"), std::string::npos);
  EXPECT_NE(b.find(byte(20) + "2024-05-13T22:45:04Z"), std::string::npos);
  // Elsewhere the same text is typed.
  std::string url = d.send("<x xmlns='jabber:x:oob'><url>chat</url></x>");
  EXPECT_EQ(url.find(byte(4) + "chat"), std::string::npos);
}

TEST_F(BinaryValues, ControlCharactersBecomeReplacementCharacters) {
  auto s = testing::parse("<message><body>a</body></message>");
  s->root().first_child()->set_text(std::string("a\x01z", 3));
  std::string frame;
  ASSERT_TRUE(d.encoder.encode(s->root(), frame).ok());
  Frame f;
  ASSERT_TRUE(d.decoder.decode(frame, f).ok());
  EXPECT_EQ(f.stanza->root().first_child()->text(), "a\xEF\xBF\xBDz");
}

// A baseline JPEG with libjpeg's default layout: JFIF, two IJG quality-75 tables, SOF0, the four
// Annex K Huffman tables, SOS and entropy-coded bytes.
std::string sample_jpeg(bool standard) {
  std::string j = unhex("ffd8ffe000104a46494600010100000100010000");
  auto segment = [&j](int marker, const std::string& payload) {
    j += '\xFF';
    j += static_cast<char>(marker);
    j += static_cast<char>((payload.size() + 2) >> 8);
    j += static_cast<char>((payload.size() + 2) & 0xFF);
    j += payload;
  };
  static const int kLuma[64] = {16,  11,  10,  16,  24, 40, 51,  61,  12,  12,  14,  19,  26,
                                58,  60,  55,  14,  13, 16, 24,  40,  57,  69,  56,  14,  17,
                                22,  29,  51,  87,  80, 62, 18,  22,  37,  56,  68,  109, 103,
                                77,  24,  35,  55,  64, 81, 104, 113, 92,  49,  64,  78,  87,
                                103, 121, 120, 101, 72, 92, 95,  98,  112, 100, 103, 99};
  static const int kZigzag[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                  58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
  std::string dqt(1, '\0');
  for (int i : kZigzag) {
    int v = (kLuma[i] * 50 + 50) / 100;  // quality 75: scale 50
    dqt += static_cast<char>(std::max(1, std::min(255, v)) + (standard ? 0 : 1));
  }
  segment(0xDB, dqt);
  segment(0xC0, unhex("0800f000f0030122000211010311"
                      "01"));
  // Tc 0 Th 0, the 16 code counts and the 12 symbols of the Annex K.3 luminance DC table.
  std::string dht = std::string(1, '\0') + unhex("00010501010101010100000000000000") +
                    unhex("000102030405060708090a0b");
  segment(0xC4, dht);
  segment(0xDA, unhex("03010002110311003f00"));
  j += unhex("d2cf20ffd9");
  return j;
}

TEST_F(BinaryValues, JpegWithStandardTablesIsSentAsReferences) {
  std::string jpeg = sample_jpeg(true);
  std::string text = xmpp::base64_encode(jpeg);
  std::string bytes = value_bytes(d, "data:image/jpeg;base64," + text);
  ASSERT_EQ(static_cast<std::uint8_t>(bytes[0]), vbyte::kPrefix);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[2]), vbyte::kJpeg);
  // APP0 and SOF0 stay segments; the DQT is (luma, quality 75), the DHT (DC, luma).
  std::string items = bytes.substr(3);
  EXPECT_NE(items.find(byte(jpeg::kStdQuant) + byte(0) + byte(0) + byte(75)), std::string::npos);
  EXPECT_NE(items.find(byte(jpeg::kStdHuffman) + byte(0) + byte(0)), std::string::npos);
  EXPECT_LT(bytes.size(), jpeg.size() - 64 - 20);
  // One changed quantiser: the DQT is a plain segment, and the value still round-trips.
  std::string other =
      value_bytes(d, "data:image/jpeg;base64," + xmpp::base64_encode(sample_jpeg(false)));
  EXPECT_NE(other.find(byte(jpeg::kSegment) + byte(0xDB) + byte(65)), std::string::npos);
}

}  // namespace
}  // namespace tern::xmpp::binary
