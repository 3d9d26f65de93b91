// SPDX-License-Identifier: MIT
// Binary XMPP sessions (docs/binary-xmpp.md §2) against the real ternd: a client offering ALPN
// tern-xmpp-binary/1 on direct TLS logs in (SCRAM-SHA-256, bind) in frames, chats both ways with
// an XML client, resumes a dropped stream-management session on a new binary connection, and
// gets stream errors as frames; creates, configures and talks in a group chat room with an XML
// occupant (XEP-0045: presence with status codes, stanza and occupant ids); a client offering only
// xmpp-client, and every client when c2s.binary is false, still gets XML.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "binary_client.h"
#include "ternd_process.h"
#include "xml_client.h"
#include "xmpp/namespaces.h"
#include "xmpp/stream_error.h"

namespace tern {
namespace {

namespace ns = xmpp::ns;
using testing::BinaryClient;
using testing::Ternd;
using testing::TerndOptions;
using testing::XmlClient;

std::string_view binary_alpn() {
  return tls::kAlpnXmppBinary;
}

std::optional<xmpp::StreamCondition> stream_error(const xmpp::StanzaPtr& element) {
  if (!element) {
    return std::nullopt;
  }
  auto error = xmpp::StreamError::from_element(element->root());
  return error ? std::optional(error->condition) : std::nullopt;
}

// The next message (skipping <r/> and other nonzas), or nullptr.
template <class Client>
xmpp::StanzaPtr next_message(Client& client) {
  for (auto s = client.next(); s; s = client.next()) {
    if (s->root().is("message", ns::kClient)) {
      return s;
    }
  }
  return nullptr;
}

class BinaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TerndOptions options;
    options.accounts = {{"juliet@localhost", "balcony"}, {"romeo@localhost", "orchard"}};
    server_ = new Ternd(options);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Ternd* server_;
};
Ternd* BinaryTest::server_ = nullptr;

TEST_F(BinaryTest, LogsInWithScramAndBindsInFrames) {
  BinaryClient juliet(server_->direct_tls_port);
  auto bound = juliet.login("phone");
  EXPECT_EQ(juliet.socket().tls()->negotiated_alpn(), binary_alpn());
  EXPECT_TRUE(juliet.preamble_received());
  EXPECT_EQ(juliet.headers_received(), 2);  // one per stream: before and after SASL
  ASSERT_NE(bound, nullptr) << juliet.decode_error();
  EXPECT_EQ(bound->type(), "result");
  EXPECT_EQ(juliet.full_jid(), "juliet@localhost/phone");
  // Established traffic: the server answers an IQ addressed to the account itself (own JID
  // forms on both sides from here on).
  juliet.send("<iq type='get' id='p1' to='juliet@localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  auto pong = juliet.next();
  ASSERT_NE(pong, nullptr) << juliet.decode_error();
  EXPECT_EQ(pong->type(), "result");
  EXPECT_EQ(pong->id(), "p1");
  EXPECT_TRUE(juliet.decode_error().empty()) << juliet.decode_error();
}

TEST_F(BinaryTest, ChatsBothWaysWithAnXmlClient) {
  XmlClient romeo(server_->starttls_port, false, "romeo", "orchard");
  ASSERT_NE(romeo.login("desk"), nullptr);
  BinaryClient juliet(server_->direct_tls_port);
  ASSERT_NE(juliet.login("phone"), nullptr);
  for (int i = 0; i < 3; ++i) {  // more than one: the JID tables are used after the first
    std::string n = std::to_string(i);
    juliet.send("<message to='romeo@localhost/desk' type='chat' id='j" + n + "'><body>hello " + n +
                "</body></message>");
    auto at_romeo = next_message(romeo);
    ASSERT_NE(at_romeo, nullptr);
    EXPECT_EQ(at_romeo->root().attr("from"), "juliet@localhost/phone");
    EXPECT_EQ(at_romeo->root().child_text("body"), "hello " + n);

    romeo.send("<message to='juliet@localhost/phone' type='chat' id='r" + n + "'><body>hi " + n +
               " ☺</body></message>");
    auto at_juliet = next_message(juliet);
    ASSERT_NE(at_juliet, nullptr) << juliet.decode_error();
    EXPECT_EQ(at_juliet->root().attr("from"), "romeo@localhost/desk");
    EXPECT_EQ(at_juliet->root().attr("to"), "juliet@localhost/phone");
    EXPECT_EQ(at_juliet->root().child_text("body"), "hi " + n + " ☺");
  }
}

// The next stanza named `name` (skipping the rest), or nullptr.
template <class Client>
xmpp::StanzaPtr next_named(Client& client, std::string_view name) {
  for (auto s = client.next(); s; s = client.next()) {
    if (s->root().is(name, ns::kClient)) {
      return s;
    }
  }
  return nullptr;
}

std::vector<std::string> status_codes(const xmpp::Stanza& presence) {
  std::vector<std::string> codes;
  if (const xmpp::Element* x = presence.root().child("x", ns::kMucUser)) {
    for (const xmpp::Element& child : x->children()) {
      if (child.is("status", ns::kMucUser)) {
        codes.emplace_back(child.attr("code"));
      }
    }
  }
  std::sort(codes.begin(), codes.end());
  return codes;
}

TEST_F(BinaryTest, CreatesAndTalksInAGroupChatRoomWithAnXmlOccupant) {
  BinaryClient juliet(server_->direct_tls_port);
  ASSERT_NE(juliet.login("phone"), nullptr);
  juliet.send(
      "<presence to='balcony@conference.localhost/Juliet'>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto created = next_named(juliet, "presence");
  ASSERT_NE(created, nullptr) << juliet.decode_error();
  EXPECT_EQ(created->root().attr("from"), "balcony@conference.localhost/Juliet");
  EXPECT_EQ(status_codes(*created), (std::vector<std::string>{"110", "170", "201"}));
  auto subject = next_named(juliet, "message");
  ASSERT_NE(subject, nullptr) << juliet.decode_error();
  EXPECT_NE(subject->root().child("subject", ns::kClient), nullptr);
  juliet.send(
      "<iq type='set' id='c1' to='balcony@conference.localhost'>"
      "<query xmlns='http://jabber.org/protocol/muc#owner'>"
      "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
  auto configured = next_named(juliet, "iq");
  ASSERT_NE(configured, nullptr) << juliet.decode_error();
  EXPECT_EQ(configured->type(), "result");

  XmlClient romeo(server_->starttls_port, false, "romeo", "orchard");
  ASSERT_NE(romeo.login("desk"), nullptr);
  romeo.send(
      "<presence to='balcony@conference.localhost/Romeo'>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto entered = next_named(juliet, "presence");
  ASSERT_NE(entered, nullptr) << juliet.decode_error();
  EXPECT_EQ(entered->root().attr("from"), "balcony@conference.localhost/Romeo");
  // Juliet owns the room, so she moderates and sees Romeo's real JID.
  const xmpp::Element* item = entered->root().child("x", ns::kMucUser)->child("item", ns::kMucUser);
  EXPECT_EQ(item->attr("jid"), "romeo@localhost/desk");
  EXPECT_NE(entered->root().child("occupant-id", ns::kOccupantId), nullptr);

  romeo.send(
      "<message to='balcony@conference.localhost' type='groupchat' id='g1'>"
      "<body>in binary?</body></message>");
  auto heard = next_message(juliet);
  ASSERT_NE(heard, nullptr) << juliet.decode_error();
  EXPECT_EQ(heard->root().attr("from"), "balcony@conference.localhost/Romeo");
  EXPECT_EQ(heard->root().child_text("body"), "in binary?");
  const xmpp::Element* sid = heard->root().child("stanza-id", ns::kStanzaId);
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid->attr("by"), "balcony@conference.localhost");

  juliet.send(
      "<message to='balcony@conference.localhost' type='groupchat' id='g2'>"
      "<body>in frames</body></message>");
  for (;;) {  // Romeo also gets the history and subject of his entry first
    auto got = next_message(romeo);
    ASSERT_NE(got, nullptr);
    if (got->root().child_text("body") == "in frames") {
      EXPECT_EQ(got->root().attr("from"), "balcony@conference.localhost/Juliet");
      break;
    }
  }
  EXPECT_TRUE(juliet.decode_error().empty()) << juliet.decode_error();
}

TEST_F(BinaryTest, ResumesOnANewBinaryConnectionAndGetsTheUnacknowledgedMessage) {
  BinaryClient phone(server_->direct_tls_port);
  ASSERT_NE(phone.login("resumer"), nullptr);
  phone.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  auto enabled = phone.next();
  ASSERT_TRUE(enabled && enabled->root().is("enabled", ns::kStreamManagement));
  std::string previd(enabled->root().attr("id"));
  ASSERT_FALSE(previd.empty());

  XmlClient romeo(server_->starttls_port, false, "romeo", "orchard");
  ASSERT_NE(romeo.login("sender"), nullptr);
  romeo.send(
      "<message to='juliet@localhost/resumer' type='chat' id='u1'><body>still there?</body>"
      "</message>");
  auto first = next_message(phone);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->root().child_text("body"), "still there?");
  phone.socket().drop();  // received, never acknowledged
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  BinaryClient back(server_->direct_tls_port);
  auto features = back.authenticate();
  ASSERT_TRUE(features && features->root().child("sm", ns::kStreamManagement));
  back.set_full_jid(phone.full_jid());
  back.send("<resume xmlns='urn:xmpp:sm:3' previd='" + previd + "' h='0'/>");
  auto resumed = back.next();
  ASSERT_TRUE(resumed && resumed->root().is("resumed", ns::kStreamManagement))
      << back.decode_error();
  auto again = next_message(back);
  ASSERT_NE(again, nullptr) << back.decode_error();
  EXPECT_EQ(again->root().child_text("body"), "still there?");
  EXPECT_EQ(again->root().attr("to"), "juliet@localhost/resumer");
  back.send("<a xmlns='urn:xmpp:sm:3' h='1'/>");
  // The resumed stream carries traffic both ways, own JID forms included: both ends bound it
  // again after <resumed/> (§2.3), so the account's own bare JID is one byte.
  back.send("<iq type='get' id='p2' to='juliet@localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
  auto pong = back.next();
  while (pong && !pong->root().is("iq", ns::kClient)) {
    pong = back.next();
  }
  ASSERT_NE(pong, nullptr) << back.decode_error();
  EXPECT_EQ(pong->type(), "result");
  back.send("<message to='romeo@localhost/sender' type='chat'><body>yes</body></message>");
  auto at_romeo = next_message(romeo);
  ASSERT_NE(at_romeo, nullptr);
  EXPECT_EQ(at_romeo->root().attr("from"), "juliet@localhost/resumer");
  EXPECT_EQ(at_romeo->root().child_text("body"), "yes");
  EXPECT_TRUE(back.decode_error().empty()) << back.decode_error();
}

TEST_F(BinaryTest, AGarbageFrameGetsNotWellFormedAsAFrameThenTheClose) {
  BinaryClient client(server_->direct_tls_port);
  client.send_preamble();
  client.open_stream();
  ASSERT_NE(client.next(), nullptr);             // features
  client.send_raw(std::string{'\x01', '\xF4'});  // a frame of one reserved opcode
  auto error = client.next();
  EXPECT_EQ(stream_error(error), xmpp::StreamCondition::NotWellFormed) << client.decode_error();
  EXPECT_EQ(client.next(), nullptr);
  EXPECT_TRUE(client.stream_closed());  // 0xF1 after the error
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(BinaryTest, AnOversizedFrameIsAPolicyViolation) {
  BinaryClient client(server_->direct_tls_port);
  client.send_preamble();
  client.open_stream();
  ASSERT_NE(client.next(), nullptr);
  // The length alone (1 MiB, over max_stanza_bytes) is refused before the body arrives.
  client.send_raw(std::string{'\x80', '\x80', '\x40'});
  EXPECT_EQ(stream_error(client.next()), xmpp::StreamCondition::PolicyViolation);
  EXPECT_TRUE(client.stream_closed());
}

TEST_F(BinaryTest, AWrongFormatVersionIsUnsupportedVersion) {
  BinaryClient client(server_->direct_tls_port);
  client.send_raw(std::string{'\xC1', '\x02'});
  auto error = client.next();
  EXPECT_TRUE(client.preamble_received());
  EXPECT_EQ(client.headers_received(), 1);  // RFC 6120 §4.9.1.1: a header before the error
  EXPECT_EQ(stream_error(error), xmpp::StreamCondition::UnsupportedVersion)
      << client.decode_error();
  EXPECT_TRUE(client.stream_closed());
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(BinaryTest, XmlOnABinaryConnectionIsClosedWithoutAnAnswer) {
  BinaryClient client(server_->direct_tls_port);
  client.send_raw(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(client.undecoded(), "");  // §2.1: not a byte of stream in reply
  EXPECT_FALSE(client.preamble_received());
}

TEST_F(BinaryTest, AClientOfferingOnlyXmppClientGetsXml) {
  XmlClient client(server_->direct_tls_port, true);
  ASSERT_NE(client.login("xml", true), nullptr);
  EXPECT_EQ(client.tls()->negotiated_alpn(), tls::kAlpnXmppClient);
}

TEST_F(BinaryTest, StarttlsNeverAgreesOnBinary) {
  testing::TlsSocket socket(server_->starttls_port);
  socket.send(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"
      "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  std::string text;
  while (text.find("<proceed") == std::string::npos && socket.receive(text)) {
  }
  ASSERT_NE(text.find("<proceed"), std::string::npos) << text;
  socket.start_tls({std::string(binary_alpn()), std::string(tls::kAlpnXmppClient)});
  socket.send(
      "<stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  std::string encrypted;
  while (encrypted.find("</stream:features>") == std::string::npos && socket.receive(encrypted)) {
  }
  EXPECT_EQ(socket.tls()->negotiated_alpn(), tls::kAlpnXmppClient);
  EXPECT_NE(encrypted.find("<stream:stream"), std::string::npos) << encrypted;
}

TEST(BinaryDisabled, DirectTlsAgreesOnXmppClientAndSpeaksXml) {
  TerndOptions options;
  options.settings = {"c2s.binary=false"};
  Ternd server(options);
  testing::TlsSocket socket(server.direct_tls_port);
  socket.start_tls({std::string(binary_alpn()), std::string(tls::kAlpnXmppClient)});
  socket.send(
      "<stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  std::string text;
  while (text.find("</stream:features>") == std::string::npos && socket.receive(text)) {
  }
  EXPECT_EQ(socket.tls()->negotiated_alpn(), tls::kAlpnXmppClient);
  EXPECT_NE(text.find("<mechanisms"), std::string::npos) << text;
}

}  // namespace
}  // namespace tern
