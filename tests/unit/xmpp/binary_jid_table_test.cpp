// SPDX-License-Identifier: MIT
// The per-direction JID table (docs/binary-xmpp.md section 8): move-to-front order, the 64-entry
// bound and the 255-byte entry bound, the bare forms, routing positions only, the reset on every
// stream header, and the encoder's undo when a frame cannot be written.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/xmpp/binary_test_util.h"
#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/jid_table.h"

namespace tern::xmpp::binary {
namespace {

using testing::body;
using testing::byte;
using testing::Direction;

TEST(JidTable, MoveToFrontAndBounds) {
  JidTable t;
  t.insert("a@x/1");
  t.insert("b@x/2");
  t.insert("c@x");
  EXPECT_EQ(t.size(), 3U);
  EXPECT_EQ(t.at(0), "c@x");
  EXPECT_EQ(t.find("a@x/1"), 2);
  t.touch(2);
  EXPECT_EQ(t.at(0), "a@x/1");
  EXPECT_EQ(t.at(1), "c@x");
  EXPECT_EQ(t.find_bare("b@x"), 2);
  EXPECT_EQ(t.bare_at(0), "a@x");
  EXPECT_EQ(t.find_bare("a@x/1"), -1);
  for (int i = 0; i < 100; ++i) {
    t.insert("u" + std::to_string(i) + "@x");
  }
  EXPECT_EQ(t.size(), kJidTableSize);
  EXPECT_EQ(t.at(0), "u99@x");
  EXPECT_EQ(t.at(kJidTableSize - 1), "u36@x");  // the oldest left
  EXPECT_EQ(t.find("a@x/1"), -1);
  t.insert(std::string(kJidTableMaxEntry + 1, 'x'));  // too long: not kept
  EXPECT_EQ(t.at(0), "u99@x");
  t.insert(std::string(kJidTableMaxEntry, 'y'));
  EXPECT_EQ(t.at(0).size(), kJidTableMaxEntry);
  t.clear();
  EXPECT_EQ(t.size(), 0U);
  EXPECT_EQ(t.find("u99@x"), -1);
}

TEST(JidTable, RollbackUndoesTouchesAndInserts) {
  JidTable t;
  for (int i = 0; i < 64; ++i) {
    t.insert("u" + std::to_string(i) + "@x");
  }
  std::vector<std::string> before;
  for (std::size_t i = 0; i < t.size(); ++i) {
    before.emplace_back(t.at(i));
  }
  t.begin();
  t.touch(10);
  t.insert("new@x");  // evicts the last
  t.touch(40);
  t.insert("newer@x");
  t.rollback();
  ASSERT_EQ(t.size(), before.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t.at(i), before[i]) << i;
    EXPECT_EQ(t.find(before[i]), static_cast<int>(i));
  }
}

TEST(BinaryJidTable, RoutedAddressesBecomeOneByte) {
  Direction d;
  d.open();
  std::string xml = "<message from='34737762334@s.example.net/Conversations.FOiV' type='chat'/>";
  std::string first = body(d.send(xml));
  EXPECT_EQ(static_cast<std::uint8_t>(first[2]), vbyte::kJid);  // a literal, inserted
  std::string second = body(d.send(xml));
  EXPECT_EQ(static_cast<std::uint8_t>(second[2]), vbyte::kTableFirst + 0);
  // The bare JID of an entry, with and without another resource.
  std::string bare = body(d.send("<message to='34737762334@s.example.net' type='chat'/>"));
  EXPECT_EQ(bare.substr(2, 2), byte(vbyte::kTableBare) + byte(0));
  std::string other = body(d.send("<message from='34737762334@s.example.net/dino.1adb81dd'/>"));
  EXPECT_EQ(other.substr(2, 2), byte(vbyte::kTableBareResource) + byte(0));
  // Now: [full/dino, bare, full/Conversations]. Using one moves it to the front.
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send(xml))[2]), vbyte::kTableFirst + 2);
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send(xml))[2]), vbyte::kTableFirst + 0);
}

TEST(BinaryJidTable, PayloadAddressesNeitherUseNorFillTheTable) {
  Direction d;
  d.open();
  d.send("<message from='juliet@s.example.net/balcony'/>");
  std::string frame = d.send(
      "<message><reply xmlns='urn:xmpp:reply:0' to='juliet@s.example.net/balcony'/>"
      "<reply xmlns='urn:xmpp:reply:0' to='romeo@s.example.net/garden'/></message>");
  EXPECT_EQ(body(frame).find(byte(vbyte::kTableFirst)), std::string::npos);
  EXPECT_EQ(d.encoder.state().table.size(), 1U);
  // A decoder refuses a table reference outside a routing position.
  Decoder& dec = d.decoder;
  int reply = testing::element_token("reply", "urn:xmpp:reply:0");
  int to = dict::find_attribute("to", "");
  std::string b = byte(testing::element_token("message", "jabber:client")) + byte(0x80) + byte(1) +
                  byte(reply) + byte(0x01) + byte(to) + byte(vbyte::kTableFirst);
  Frame f;
  auto r = dec.decode(byte(static_cast<int>(b.size())) + b, f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DecodeErrorKind::BadReference);
}

TEST(BinaryJidTable, EveryStreamHeaderResetsTheTable) {
  Direction d;
  d.open();
  std::string xml = "<message from='juliet@s.example.net/balcony'/>";
  d.send(xml);
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send(xml))[2]), vbyte::kTableFirst);
  d.open();
  EXPECT_EQ(d.decoder.state().table.size(), 0U);
  EXPECT_EQ(static_cast<std::uint8_t>(body(d.send(xml))[2]), vbyte::kJid);
}

TEST(BinaryJidTable, EncoderAndDecoderStayInStepOverManyAddresses) {
  Direction d;
  d.open();
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    int contact = static_cast<int>(rng() % 150);
    int resource = static_cast<int>(rng() % 3);
    std::string jid = "c" + std::to_string(contact) + "@s.example.net";
    if (resource != 0) {
      jid += "/r" + std::to_string(resource);
    }
    d.send("<message from='" + jid + "' to='me@s.example.net/x' id='" + std::to_string(i) + "'/>");
  }
  const JidTable& a = d.encoder.state().table;
  const JidTable& b = d.decoder.state().table;
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.at(i), b.at(i));
  }
}

TEST(BinaryJidTable, AFailedFrameLeavesTheTableAsItWas) {
  Direction d;
  d.open();
  d.send("<message from='a@s.example.net/1'/>");
  d.send("<message from='b@s.example.net/1'/>");
  auto s = testing::parse("<message from='a@s.example.net/1' to='c@s.example.net'><x/></message>");
  s->root().first_child()->set_attr("bad name", "1");
  std::string frame;
  ASSERT_FALSE(d.encoder.encode(s->root(), frame).ok());
  const JidTable& t = d.encoder.state().table;
  ASSERT_EQ(t.size(), 2U);
  EXPECT_EQ(t.at(0), "b@s.example.net/1");
  EXPECT_EQ(t.at(1), "a@s.example.net/1");
  // And the next frame still decodes.
  d.send("<message from='a@s.example.net/1' to='c@s.example.net'/>");
}

}  // namespace
}  // namespace tern::xmpp::binary
