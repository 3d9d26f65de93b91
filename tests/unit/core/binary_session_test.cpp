// SPDX-License-Identifier: MIT
// C2sSession speaking binary XMPP (docs/binary-xmpp.md) without sockets: the connection's ALPN
// result switches the session to the binary codec; a client built from the xmpp library's
// Encoder and Decoder negotiates in frames (in any slicing), and broken input gets the stream
// error the specification names, as a frame, or no answer at all for a foreign first byte.
#include <gtest/gtest.h>

#include "core/c2s/c2s_session.h"
#include "xmpp/base64.h"
#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/binary/xml_text.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"

namespace tern::core::c2s {
namespace {

namespace bin = xmpp::binary;
namespace ns = xmpp::ns;
using xmpp::sasl::ScramHash;

// The client's end: decodes what the server wrote, frame by frame.
class BinaryIo : public SessionIo {
 public:
  void write(std::string_view bytes) override {
    wire.append(bytes);
    decode();
  }
  bool can_start_tls() const override { return false; }
  void start_tls() override {}
  bool encrypted() const override { return true; }
  std::vector<xmpp::sasl::ChannelBindingData> channel_bindings() const override { return {}; }
  void close() override { closed = true; }

  void decode() {
    if (!preamble) {
      if (wire.size() < 2) {
        return;
      }
      EXPECT_EQ(wire.substr(0, 2), std::string("\xC1\x01"));
      preamble = true;
      wire.erase(0, 2);
    }
    for (;;) {
      bin::Frame frame;
      auto used = decoder.decode(wire, frame);
      ASSERT_TRUE(used.ok()) << used.error().reason;
      if (*used == 0) {
        return;
      }
      wire.erase(0, *used);
      if (frame.kind == bin::FrameKind::StreamOpen) {
        headers.push_back(frame.header);
      } else if (frame.kind == bin::FrameKind::StreamClose) {
        stream_closed = true;
      } else if (frame.kind == bin::FrameKind::Stanza) {
        if (std::string_view jid = bin::bound_jid(frame.stanza->root()); !jid.empty()) {
          decoder.set_own_jid(jid);  // §8.3: the client binds on receiving the result
        }
        received.push_back(std::move(frame.stanza));
      }
    }
  }

  bin::Decoder decoder{bin::Role::Responder};
  std::string wire;
  bool preamble = false;
  std::vector<xmpp::StreamHeader> headers;
  std::vector<xmpp::StanzaPtr> received;
  bool stream_closed = false;
  bool closed = false;
};

class Host : public SessionHost {
 public:
  Host() {
    credentials = xmpp::sasl::make_scram_credentials(ScramHash::Sha256, "pencil", 4096).value();
    options.lookup = [this](std::string_view user,
                            ScramHash hash) -> std::optional<xmpp::sasl::ScramCredentials> {
      if (user != "juliet" || hash != ScramHash::Sha256) {
        return std::nullopt;
      }
      return credentials;
    };
    options.scram_hashes = {ScramHash::Sha256};
    options.fake_iterations = 4096;
  }
  bool serves_domain(std::string_view d) const override { return d == "example.com"; }
  const xmpp::sasl::SaslServerOptions& sasl_options(std::string_view) const override {
    return options;
  }
  std::string new_stream_id() override { return "sid"; }
  Result<xmpp::Jid, xmpp::StanzaError> bind(C2sSession&, const xmpp::Jid& requested) override {
    return requested;
  }
  void on_stanza(C2sSession& session, xmpp::StanzaPtr s, StreamManagement::Ticket t) override {
    routed.push_back(std::move(s));
    session.stanza_handled(t);
  }
  bool on_nonza(C2sSession&, xmpp::StanzaPtr) override { return false; }
  void add_features(C2sSession&, xmpp::Element&) override {}
  void on_closed(C2sSession&) override { ++closed; }

  xmpp::sasl::ScramCredentials credentials;
  xmpp::sasl::SaslServerOptions options;
  std::vector<xmpp::StanzaPtr> routed;
  int closed = 0;
};

class BinarySessionTest : public ::testing::Test {
 protected:
  C2sSession& session() {
    if (!session_) {
      session_ = std::make_unique<C2sSession>(io, host, options);
      session_->on_tls_established(WireFormat::Binary);  // direct TLS, ALPN agreed on binary
    }
    return *session_;
  }
  // Hands the session `bytes` in slices of `slice_` bytes.
  void feed(std::string_view bytes) {
    while (!bytes.empty()) {
      std::size_t n = std::min(slice_, bytes.size());
      session().on_bytes(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
  }
  void send(std::string_view xml) {
    auto item = bin::parse_xml_item(xml);
    ASSERT_TRUE(item.ok()) << xml;
    std::string frame;
    ASSERT_TRUE(encoder.encode(item->stanza->root(), frame).ok()) << xml;
    feed(frame);
  }
  void open_stream() {
    xmpp::StreamHeader header;
    header.to = "example.com";
    header.version = "1.0";
    header.content_ns = std::string(ns::kClient);
    std::string frame;
    if (!preamble_sent_) {
      frame = "\xC1\x01";
      preamble_sent_ = true;
    }
    encoder.encode_stream_open(header, frame);
    feed(frame);
  }
  const xmpp::Element& last() {
    EXPECT_FALSE(io.received.empty());
    return io.received.back()->root();
  }
  std::optional<xmpp::StreamCondition> stream_error() {
    for (const auto& s : io.received) {
      if (auto e = xmpp::StreamError::from_element(s->root())) {
        return e->condition;
      }
    }
    return std::nullopt;
  }
  void establish() {
    open_stream();
    ASSERT_EQ(io.headers.size(), 1U);
    ASSERT_TRUE(last().child("mechanisms", ns::kSasl));
    xmpp::sasl::ScramClient client(ScramHash::Sha256, "juliet", "pencil", {});
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>" +
         xmpp::base64_encode(client.client_first().value()) + "</auth>");
    ASSERT_TRUE(last().is("challenge", ns::kSasl));
    auto final_message = client.client_final(*xmpp::base64_decode(last().text()));
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
         xmpp::base64_encode(final_message.value()) + "</response>");
    ASSERT_TRUE(last().is("success", ns::kSasl));
    open_stream();
    ASSERT_EQ(io.headers.size(), 2U);
    ASSERT_TRUE(last().child("bind", ns::kBind));
    send(
        "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<resource>phone</resource></bind></iq>");
    ASSERT_EQ(bin::bound_jid(last()), "juliet@example.com/phone");
    encoder.set_own_jid("juliet@example.com/phone");
    ASSERT_TRUE(session().established());
  }

  BinaryIo io;
  Host host;
  SessionOptions options;
  std::unique_ptr<C2sSession> session_;
  bin::Encoder encoder{bin::Role::Initiator};
  std::size_t slice_ = 1 << 20;
  bool preamble_sent_ = false;
};

TEST_F(BinarySessionTest, XmlUnlessTheConnectionAgreedOnBinary) {
  C2sSession xml(io, host, options);
  EXPECT_EQ(xml.wire_format(), WireFormat::Xml);
  xml.on_tls_established(WireFormat::Xml);
  EXPECT_EQ(xml.wire_format(), WireFormat::Xml);
  EXPECT_EQ(session().wire_format(), WireFormat::Binary);
}

TEST_F(BinarySessionTest, NegotiatesInFramesAndRoutesTheSameTrees) {
  establish();
  EXPECT_EQ(io.headers[1].from, "example.com");
  send("<message to='romeo@example.net/desk' type='chat' id='m1'><body>hi</body></message>");
  ASSERT_EQ(host.routed.size(), 1U);
  auto expected = xmpp::parse_stanza(
      "<message xmlns='jabber:client' to='romeo@example.net/desk' type='chat' id='m1' "
      "from='juliet@example.com/phone'><body>hi</body></message>");
  EXPECT_TRUE(xmpp::equal_trees(host.routed[0]->root(), expected->root()));
  // The client refers to its own bare JID in one byte (0x55): the server bound it after bind.
  send("<iq type='get' id='v' to='juliet@example.com'><query xmlns='jabber:iq:version'/></iq>");
  ASSERT_EQ(host.routed.size(), 2U);
  EXPECT_EQ(host.routed[1]->root().attr("to"), "juliet@example.com");
  host.routed.pop_back();
  // Delivered to the client in a frame that refers to the own JID (§8.3: bound on both sides).
  auto incoming = xmpp::parse_stanza(
      "<message xmlns='jabber:client' to='juliet@example.com/phone' from='romeo@example.net/desk' "
      "type='chat'><body>hello</body></message>");
  std::size_t before = io.received.size();
  EXPECT_FALSE(session().deliver(*incoming));
  ASSERT_EQ(io.received.size(), before + 1);
  EXPECT_TRUE(xmpp::equal_trees(last(), incoming->root()));
  EXPECT_TRUE(io.wire.empty());
}

TEST_F(BinarySessionTest, AnySlicingWorks) {
  slice_ = 1;
  establish();
  send("<presence/>");
  ASSERT_EQ(host.routed.size(), 1U);
  EXPECT_EQ(host.routed[0]->root().attr("from"), "juliet@example.com/phone");
}

TEST_F(BinarySessionTest, AForeignFirstByteClosesWithoutAnAnswer) {
  feed("<?xml version='1.0'?>");
  EXPECT_TRUE(io.closed);
  EXPECT_FALSE(io.preamble);
  EXPECT_TRUE(io.wire.empty());
  EXPECT_EQ(session().state(), SessionState::Closed);
  EXPECT_EQ(host.closed, 1);
}

TEST_F(BinarySessionTest, AnotherFormatVersionIsUnsupportedVersion) {
  feed(std::string("\xC1\x02", 2));
  EXPECT_EQ(io.headers.size(), 1U);  // RFC 6120 §4.9.1.1: a header before the error
  EXPECT_EQ(stream_error(), xmpp::StreamCondition::UnsupportedVersion);
  EXPECT_TRUE(io.stream_closed);
  EXPECT_TRUE(io.closed);
}

TEST_F(BinarySessionTest, DecodingErrorsAreNotWellFormedFramesThenTheClose) {
  open_stream();
  feed(std::string("\x01\xF4", 2));  // a reserved opcode
  EXPECT_EQ(stream_error(), xmpp::StreamCondition::NotWellFormed);
  EXPECT_TRUE(io.stream_closed);
  EXPECT_TRUE(io.closed);
  std::size_t frames = io.received.size();
  send("<presence/>");  // nothing more is read
  EXPECT_EQ(io.received.size(), frames);
}

TEST_F(BinarySessionTest, AFrameBeforeTheHeaderOrAHeaderInsideTheStreamIsRefused) {
  feed(std::string("\xC1\x01", 2));
  preamble_sent_ = true;
  send("<presence/>");
  EXPECT_EQ(stream_error(), xmpp::StreamCondition::NotWellFormed);
  EXPECT_TRUE(io.closed);

  BinaryIo second_io;
  C2sSession second(second_io, host, options);
  second.on_tls_established(WireFormat::Binary);
  xmpp::StreamHeader header;
  header.to = "example.com";
  header.version = "1.0";
  header.content_ns = std::string(ns::kClient);
  std::string frames = "\xC1\x01";
  bin::Encoder client(bin::Role::Initiator);
  client.encode_stream_open(header, frames);
  client.encode_stream_open(header, frames);
  second.on_bytes(frames);
  ASSERT_FALSE(second_io.received.empty());
  auto error = xmpp::StreamError::from_element(second_io.received.back()->root());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->condition, xmpp::StreamCondition::NotWellFormed);
}

TEST_F(BinarySessionTest, LimitsAreTheXmlStreamsLimits) {
  options.limits.max_stanza_bytes = 1024;
  options.limits.max_depth = 4;
  establish();
  // Too deep: six levels under the stream.
  send(
      "<message to='romeo@example.net'><a xmlns='urn:x'><b><c><d><e/></d></c></b></a>"
      "</message>");
  EXPECT_EQ(stream_error(), xmpp::StreamCondition::PolicyViolation);
  EXPECT_TRUE(host.routed.empty());
}

TEST_F(BinarySessionTest, AnOversizedFrameIsRefusedByItsLength) {
  options.limits.max_stanza_bytes = 1024;
  open_stream();
  feed("\x80\x10");  // a frame of 2048 bytes announced: refused before its body comes
  EXPECT_EQ(stream_error(), xmpp::StreamCondition::PolicyViolation);
  EXPECT_TRUE(io.closed);
}

TEST_F(BinarySessionTest, AStanzaBinaryCannotCarryIsNotWrittenNorCounted) {
  establish();
  send("<enable xmlns='urn:xmpp:sm:3'/>");
  ASSERT_TRUE(last().is("enabled", ns::kStreamManagement));
  auto odd = xmpp::parse_stanza(
      "<message xmlns='jabber:client' to='juliet@example.com/phone'><caf\xC3\xA9 xmlns='urn:x'/>"
      "</message>");
  ASSERT_NE(odd, nullptr);
  std::size_t before = io.received.size();
  EXPECT_TRUE(session().deliver(*odd));  // the session answers for its receipt: not delivered
  EXPECT_EQ(io.received.size(), before);
  EXPECT_EQ(session().stream_management().unacked_count(), 0U);
}

}  // namespace
}  // namespace tern::core::c2s
