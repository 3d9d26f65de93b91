// SPDX-License-Identifier: MIT
// C2sSession without sockets: a fake connection records what the session writes and a client
// built on the xmpp library (stream parser + ScramClient) drives the negotiation as a real client
// would: STARTTLS, SASL (SCRAM and PLAIN, failures), restart, bind, established traffic, errors.
#include "core/c2s/c2s_session.h"

#include <gtest/gtest.h>

#include <map>

#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"

namespace tern::core::c2s {
namespace {

namespace ns = xmpp::ns;
using xmpp::sasl::ScramHash;

// The client's view of what the server wrote.
class ClientSide : public xmpp::StreamSink {
 public:
  ClientSide() : parser_(*this) {}
  void on_stream_open(const xmpp::StreamHeader& h) override { headers.push_back(h); }
  void on_stanza(xmpp::StanzaPtr s) override { received.push_back(std::move(s)); }
  void on_stream_close() override { closed = true; }
  void on_stream_error(const xmpp::StreamError& e) override { parse_error = e.text; }
  void feed(std::string_view bytes) { parser_.feed(bytes); }
  void restart() { parser_.reset(); }

  std::vector<xmpp::StreamHeader> headers;
  std::vector<xmpp::StanzaPtr> received;
  bool closed = false;
  std::string parse_error;

 private:
  xmpp::StreamParser parser_;
};

class FakeIo : public SessionIo {
 public:
  void write(std::string_view xml) override { client.feed(xml); }
  bool can_start_tls() const override { return tls_available; }
  void start_tls() override { tls_started = true; }
  bool encrypted() const override { return encrypted_now; }
  std::vector<xmpp::sasl::ChannelBindingData> channel_bindings() const override {
    if (!encrypted_now) {
      return {};
    }
    return {{"tls-exporter", std::string(32, 'E')}, {"tls-server-end-point", std::string(32, 'S')}};
  }
  void close() override { io_closed = true; }
  void request_writable() override { ++writable_requests; }

  ClientSide client;
  int writable_requests = 0;
  bool tls_available = true;
  bool tls_started = false;
  bool encrypted_now = false;
  bool io_closed = false;
};

class FakeHost : public SessionHost {
 public:
  FakeHost() {
    for (ScramHash h : {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512}) {
      credentials[h] = xmpp::sasl::make_scram_credentials(h, "pencil", 4096).value();
    }
    options.lookup = [this](std::string_view user,
                            ScramHash hash) -> std::optional<xmpp::sasl::ScramCredentials> {
      if (user != "juliet") {
        return std::nullopt;
      }
      return credentials[hash];
    };
    options.fake_iterations = 4096;
  }
  bool serves_domain(std::string_view d) const override { return d == "example.com"; }
  const xmpp::sasl::SaslServerOptions& sasl_options(std::string_view) const override {
    return options;
  }
  std::string new_stream_id() override { return "sid" + std::to_string(++ids); }
  Result<xmpp::Jid, xmpp::StanzaError> bind(C2sSession&, const xmpp::Jid& requested) override {
    if (requested.resource() == "taken") {
      return Err(xmpp::StanzaError::conflict());
    }
    if (requested.is_bare()) {
      return requested.with_resource("generated").value();
    }
    return requested;
  }
  void on_stanza(C2sSession& session, xmpp::StanzaPtr s, StreamManagement::Ticket ticket) override {
    routed.push_back(std::move(s));
    if (hold_tickets) {
      held.push_back(ticket);  // the test releases them, like a store write completing
    } else {
      session.stanza_handled(ticket);
    }
  }
  bool on_nonza(C2sSession&, xmpp::StanzaPtr s) override {
    bool known = s->root().ns() == "urn:example:nonza";
    if (known) {
      nonzas.push_back(std::move(s));
    }
    return known;
  }
  void add_features(C2sSession&, xmpp::Element& f) override {
    f.add_child("extra", "urn:example:feature");
  }
  std::string register_resumable(C2sSession&) override { return resumable ? "rid" : ""; }
  void on_detached(C2sSession& session) override { detached = &session; }
  void on_unacked_overflow(C2sSession& session) override { overflowing = &session; }
  void resume(C2sSession& session, std::string_view previd) override {
    resuming = &session;
    resume_asked = std::string(previd);
  }
  bool resumable = true;
  C2sSession* detached = nullptr;
  C2sSession* overflowing = nullptr;
  C2sSession* resuming = nullptr;
  std::string resume_asked;
  void on_closed(C2sSession&) override { ++closed; }

  std::map<ScramHash, xmpp::sasl::ScramCredentials> credentials;
  xmpp::sasl::SaslServerOptions options;
  int ids = 0;
  std::vector<xmpp::StanzaPtr> routed;
  bool hold_tickets = false;
  std::vector<StreamManagement::Ticket> held;
  std::vector<xmpp::StanzaPtr> nonzas;
  int closed = 0;
};

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

class C2sSessionTest : public ::testing::Test {
 protected:
  C2sSession& session() {
    if (!session_) {
      session_ = std::make_unique<C2sSession>(*io, host, options);
    }
    return *session_;
  }
  void send(std::string_view bytes) { session().on_bytes(bytes); }
  const xmpp::Element& last() {
    EXPECT_FALSE(io->client.received.empty());
    return io->client.received.back()->root();
  }
  std::optional<xmpp::StreamError> stream_error() {
    for (const auto& s : io->client.received) {
      if (auto e = xmpp::StreamError::from_element(s->root())) {
        return e;
      }
    }
    return std::nullopt;
  }
  // Opens the stream and runs STARTTLS up to the encrypted restart's features.
  void negotiate_tls() {
    send(kHeader);
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    ASSERT_TRUE(last().is("proceed", ns::kTls));
    ASSERT_TRUE(io->tls_started);
    io->encrypted_now = true;
    session().on_tls_established();
    io->client.restart();
    send(kHeader);
  }
  // SCRAM exchange; returns the last element received.
  const xmpp::Element& scram(ScramHash hash, std::string user, std::string password, bool plus) {
    xmpp::sasl::ScramClientOptions o;
    if (plus) {
      o.channel_binding = xmpp::sasl::ChannelBindingData{"tls-exporter", std::string(32, 'E')};
    }
    xmpp::sasl::ScramClient client(hash, std::move(user), std::move(password), o);
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" +
         std::string(client.mechanism_name()) + "'>" +
         xmpp::base64_encode(client.client_first().value()) + "</auth>");
    if (!last().is("challenge", ns::kSasl)) {
      return last();
    }
    auto server_first = xmpp::base64_decode(last().text());
    auto final_message = client.client_final(*server_first);
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
         xmpp::base64_encode(final_message.value()) + "</response>");
    if (last().is("success", ns::kSasl)) {
      EXPECT_TRUE(client.verify_server_final(*xmpp::base64_decode(last().text())).ok());
    }
    return last();
  }
  void establish(std::string_view resource = "balcony") {
    negotiate_tls();
    ASSERT_TRUE(scram(ScramHash::Sha256, "juliet", "pencil", true).is("success", ns::kSasl));
    io->client.restart();
    send(kHeader);
    send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         std::string(resource) + "</resource></bind></iq>");
  }

  std::unique_ptr<FakeIo> io = std::make_unique<FakeIo>();
  FakeHost host;
  SessionOptions options;
  std::unique_ptr<C2sSession> session_;
};

TEST_F(C2sSessionTest, PlainStreamOffersOnlyRequiredStartTls) {
  send(kHeader);
  ASSERT_EQ(io->client.headers.size(), 1U);
  EXPECT_EQ(io->client.headers[0].from, "example.com");
  EXPECT_EQ(io->client.headers[0].version, "1.0");
  EXPECT_FALSE(io->client.headers[0].id.empty());
  const xmpp::Element& features = last();
  ASSERT_TRUE(features.is("features", ns::kStreams));
  ASSERT_NE(features.child("starttls", ns::kTls), nullptr);
  EXPECT_NE(features.child("starttls", ns::kTls)->child("required"), nullptr);
  EXPECT_EQ(features.child("mechanisms", ns::kSasl), nullptr);
}

TEST_F(C2sSessionTest, AuthBeforeTlsIsEncryptionRequired) {
  send(kHeader);
  send(
      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
      "mechanism='PLAIN'>AGp1bGlldABwZW5jaWw=</auth>");
  EXPECT_TRUE(last().is("failure", ns::kSasl));
  EXPECT_NE(last().child("encryption-required"), nullptr);
}

TEST_F(C2sSessionTest, BytesAfterStartTlsAreDropped) {
  send(kHeader);
  send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><iq type='get' id='injected'/>");
  EXPECT_TRUE(last().is("proceed", ns::kTls));
  EXPECT_EQ(session().state(), SessionState::TlsHandshake);
  EXPECT_TRUE(host.routed.empty());
  EXPECT_FALSE(stream_error().has_value());
}

TEST_F(C2sSessionTest, EncryptedStreamOffersPlusMechanismsAndBindingTypes) {
  negotiate_tls();
  const xmpp::Element& features = last();
  const xmpp::Element* mechanisms = features.child("mechanisms", ns::kSasl);
  ASSERT_NE(mechanisms, nullptr);
  std::vector<std::string_view> names;
  for (const auto& m : mechanisms->children()) {
    names.push_back(m.text());
  }
  EXPECT_EQ(names.front(), "SCRAM-SHA-512-PLUS");
  EXPECT_NE(std::find(names.begin(), names.end(), "PLAIN"), names.end());
  EXPECT_EQ(features.child("starttls", ns::kTls), nullptr);
  EXPECT_NE(features.child("sasl-channel-binding", ns::kSaslChannelBinding), nullptr);
}

TEST_F(C2sSessionTest, EveryScramMechanismAuthenticates) {
  for (ScramHash hash : {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512}) {
    for (bool plus : {false, true}) {
      session_.reset();
      io = std::make_unique<FakeIo>();
      negotiate_tls();
      EXPECT_TRUE(scram(hash, "juliet", "pencil", plus).is("success", ns::kSasl))
          << xmpp::sasl::scram_mechanism_name(hash, plus);
      EXPECT_EQ(session().jid().full(), "juliet@example.com");
    }
  }
}

TEST_F(C2sSessionTest, PlainOverTlsAuthenticates) {
  negotiate_tls();
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       xmpp::base64_encode(*xmpp::sasl::plain_initial_response("juliet", "pencil")) + "</auth>");
  EXPECT_TRUE(last().is("success", ns::kSasl));
}

TEST_F(C2sSessionTest, WrongPasswordAndUnknownUserLookAlikeThenLimitCloses) {
  negotiate_tls();
  const xmpp::Element& wrong = scram(ScramHash::Sha256, "juliet", "wrong", false);
  EXPECT_TRUE(wrong.is("failure", ns::kSasl));
  EXPECT_NE(wrong.child("not-authorized"), nullptr);
  const xmpp::Element& unknown = scram(ScramHash::Sha256, "nobody", "pencil", false);
  EXPECT_TRUE(unknown.is("failure", ns::kSasl));
  EXPECT_NE(unknown.child("not-authorized"), nullptr);
  EXPECT_FALSE(stream_error().has_value());
  scram(ScramHash::Sha256, "juliet", "again-wrong", false);  // the third failure
  auto error = stream_error();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->condition, xmpp::StreamCondition::PolicyViolation);
  EXPECT_TRUE(io->io_closed);
  EXPECT_EQ(host.closed, 1);
}

TEST_F(C2sSessionTest, UnknownMechanismAndBadBase64) {
  negotiate_tls();
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-UNKNOWN'/>");
  EXPECT_NE(last().child("invalid-mechanism"), nullptr);
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>");
  EXPECT_NE(last().child("incorrect-encoding"), nullptr);
}

TEST_F(C2sSessionTest, BindsRequestedOrGeneratedResource) {
  establish();
  const xmpp::Element& result = last();
  EXPECT_EQ(result.attr("type"), "result");
  EXPECT_EQ(result.attr("id"), "b1");
  EXPECT_EQ(result.child("bind", ns::kBind)->child_text("jid"), "juliet@example.com/balcony");
  EXPECT_TRUE(session().established());
  // The authenticated features carried bind, the optional session and the host's extras.
  bool saw_bind = false;
  for (const auto& s : io->client.received) {
    if (s->root().is("features", ns::kStreams) && s->root().child("bind", ns::kBind)) {
      saw_bind = s->root().child("session", ns::kSession) != nullptr &&
                 s->root().child("csi", ns::kCsi) != nullptr &&
                 s->root().child("extra", "urn:example:feature") != nullptr;
    }
  }
  EXPECT_TRUE(saw_bind);

  session_.reset();
  io = std::make_unique<FakeIo>();
  establish("");
  EXPECT_EQ(last().child("bind", ns::kBind)->child_text("jid"), "juliet@example.com/generated");
}

TEST_F(C2sSessionTest, BindConflictIsAStanzaError) {
  establish("taken");
  EXPECT_EQ(last().attr("type"), "error");
  EXPECT_EQ(xmpp::StanzaError::from_stanza(last())->condition, xmpp::StanzaCondition::Conflict);
  EXPECT_FALSE(session().established());
}

TEST_F(C2sSessionTest, EstablishedStanzasAreStampedAndRouted) {
  establish();
  send(
      "<message to='romeo@example.net' from='mallory@evil.example' type='chat'><body>hi</body>"
      "</message>");
  ASSERT_EQ(host.routed.size(), 1U);
  EXPECT_EQ(host.routed[0]->from(), "juliet@example.com/balcony");
  EXPECT_EQ(host.routed[0]->root().child_text("body"), "hi");
  send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  EXPECT_EQ(last().attr("type"), "result");
  send("<message to='not a jid@@'/>");
  EXPECT_EQ(xmpp::StanzaError::from_stanza(last())->condition, xmpp::StanzaCondition::JidMalformed);
  EXPECT_EQ(host.routed.size(), 1U);
  send("<hello xmlns='urn:example:nonza'/>");
  EXPECT_EQ(host.nonzas.size(), 1U);
  EXPECT_FALSE(stream_error().has_value());
}

TEST_F(C2sSessionTest, UnknownTopLevelElementIsUnsupportedStanzaType) {
  establish();
  send("<foo/>");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::UnsupportedStanzaType);
  session_.reset();
  io = std::make_unique<FakeIo>();
  establish();
  send("<r xmlns='urn:example:unknown'/>");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::UnsupportedStanzaType);
}

TEST_F(C2sSessionTest, StanzaBeforeAuthenticationIsNotAuthorized) {
  send(kHeader);
  send("<message to='romeo@example.net'><body>early</body></message>");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::NotAuthorized);
  EXPECT_TRUE(host.routed.empty());
}

TEST_F(C2sSessionTest, UnknownHostGetsHeaderThenHostUnknown) {
  send(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='elsewhere.example' version='1.0'>");
  ASSERT_EQ(io->client.headers.size(), 1U);
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::HostUnknown);
  EXPECT_TRUE(io->client.closed);
  EXPECT_TRUE(io->io_closed);
}

TEST_F(C2sSessionTest, OldVersionIsUnsupported) {
  send(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='example.com'>");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::UnsupportedVersion);
}

TEST_F(C2sSessionTest, MalformedXmlIsNotWellFormedAndCloses) {
  send(kHeader);
  send("<message><<");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::NotWellFormed);
  EXPECT_TRUE(io->client.closed);
  EXPECT_EQ(session().state(), SessionState::Closed);
  EXPECT_EQ(host.closed, 1);
}

TEST_F(C2sSessionTest, ClientCloseIsAnsweredAndReportedOnce) {
  establish();
  send("</stream:stream>");
  EXPECT_TRUE(io->client.closed);
  EXPECT_TRUE(io->io_closed);
  session().on_disconnected();
  EXPECT_EQ(host.closed, 1);
}

TEST_F(C2sSessionTest, DisconnectWithoutCloseStillReportsClosed) {
  establish();
  session().on_disconnected();
  EXPECT_EQ(session().state(), SessionState::Closed);
  EXPECT_FALSE(io->io_closed);
  EXPECT_EQ(host.closed, 1);
  EXPECT_EQ(session().end_reason(), "disconnected");
}

// RFC 6120 §4.9: a stream error ends the stream; the receiver closes its side without an error of
// its own (it used to answer unsupported-stanza-type, or not-authorized before authentication).
TEST_F(C2sSessionTest, StreamErrorFromTheClientIsAnsweredWithAClose) {
  for (bool authenticated : {false, true}) {
    session_.reset();
    io = std::make_unique<FakeIo>();
    if (authenticated) {
      establish();
    } else {
      send(kHeader);
    }
    send("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    EXPECT_FALSE(stream_error().has_value());
    EXPECT_TRUE(io->client.closed);
    EXPECT_TRUE(io->io_closed);
    EXPECT_EQ(session().end_reason(), "error-received:conflict");
  }
}

// Why a stream ended, for the connection's log line: the first cause wins.
TEST_F(C2sSessionTest, EndReasonNamesTheFirstCause) {
  establish();
  send("</stream:stream>");
  session().on_disconnected("ECONNRESET");
  EXPECT_EQ(session().end_reason(), "client-closed");
  session_.reset();
  io = std::make_unique<FakeIo>();
  send(kHeader);
  send("<message><<");
  EXPECT_EQ(session().end_reason(), "error-sent:not-well-formed");
}

TEST_F(C2sSessionTest, DeliverWritesOnlyToEstablishedSessions) {
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  m->root().set_attr("id", "d1");
  send(kHeader);
  std::size_t before = io->client.received.size();
  session().deliver(*m);
  EXPECT_EQ(io->client.received.size(), before);
  session_.reset();
  io = std::make_unique<FakeIo>();
  establish();
  session().deliver(*m);
  EXPECT_EQ(last().attr("id"), "d1");
}

// --- XEP-0198 ---

class StreamManagementTest : public C2sSessionTest {
 protected:
  void enable() {
    establish();
    send("<enable xmlns='urn:xmpp:sm:3'/>");
    ASSERT_TRUE(last().is("enabled", ns::kStreamManagement));
  }
  std::string ack_h() {
    send("<r xmlns='urn:xmpp:sm:3'/>");
    EXPECT_TRUE(last().is("a", ns::kStreamManagement));
    return std::string(last().attr("h"));
  }
  void chat(int n = 1) {
    for (int i = 0; i < n; ++i) {
      send("<message to='romeo@example.net' type='chat'><body>x</body></message>");
    }
  }
};

TEST_F(StreamManagementTest, OfferedAfterAuthenticationAndOnlyEnabledOnceAfterBind) {
  negotiate_tls();
  ASSERT_TRUE(scram(ScramHash::Sha256, "juliet", "pencil", false).is("success", ns::kSasl));
  io->client.restart();
  send(kHeader);
  ASSERT_TRUE(last().is("features", ns::kStreams));
  EXPECT_NE(last().child("sm", ns::kStreamManagement), nullptr);
  send("<enable xmlns='urn:xmpp:sm:3'/>");  // before bind
  ASSERT_TRUE(last().is("failed", ns::kStreamManagement));
  EXPECT_NE(last().child("unexpected-request", ns::kStanzaErrors), nullptr);
  send("<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>");
  session().resume_failed();  // the host found nothing to resume
  EXPECT_NE(last().child("item-not-found", ns::kStanzaErrors), nullptr);
  send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  send("<enable xmlns='urn:xmpp:sm:3'/>");
  EXPECT_TRUE(last().is("enabled", ns::kStreamManagement));
  send("<enable xmlns='urn:xmpp:sm:3'/>");
  EXPECT_TRUE(last().is("failed", ns::kStreamManagement));
}

TEST_F(StreamManagementTest, RequestsBeforeEnablingAreAnError) {
  establish();
  send("<r xmlns='urn:xmpp:sm:3'/>");
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::UnsupportedStanzaType);
}

TEST_F(StreamManagementTest, CountsEveryInboundStanzaIncludingOnesAnsweredLocally) {
  enable();
  EXPECT_EQ(ack_h(), "0");
  chat(3);
  send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  send("<message to='not a jid@@'/>");
  EXPECT_EQ(ack_h(), "5");
}

TEST_F(StreamManagementTest, AcksOnlyTheContiguousHandledPrefixThenOwesAnA) {
  enable();
  host.hold_tickets = true;
  chat(3);
  EXPECT_EQ(ack_h(), "0");                 // nothing is safe yet
  session().stanza_handled(host.held[1]);  // the second finishes first: still not counted
  session().stanza_handled(host.held[2]);
  std::size_t before = io->client.received.size();
  session().stanza_handled(host.held[0]);
  // Now all three are safe: the <a/> the client was owed goes out unasked.
  ASSERT_EQ(io->client.received.size(), before + 1);
  EXPECT_TRUE(last().is("a", ns::kStreamManagement));
  EXPECT_EQ(last().attr("h"), "3");
}

TEST_F(StreamManagementTest, OutboundStanzasAreKeptUntilAcknowledgedAndRequested) {
  enable();
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  for (const char* id : {"m1", "m2", "m3"}) {
    m->root().set_attr("id", id);
    session().deliver(*m);
  }
  // One <r/> after the first delivery, not one per stanza.
  int requests = 0;
  for (const auto& s : io->client.received) {
    requests += s->root().is("r", ns::kStreamManagement) ? 1 : 0;
  }
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(session().stream_management().unacked_count(), 3U);
  send("<a xmlns='urn:xmpp:sm:3' h='2'/>");
  EXPECT_EQ(session().stream_management().unacked_count(), 1U);
  EXPECT_TRUE(last().is("r", ns::kStreamManagement));  // one is left: ask again
  auto unacked = session().take_unacked();
  ASSERT_EQ(unacked.size(), 1U);
  EXPECT_EQ(unacked.front()->id(), "m3");
}

TEST_F(StreamManagementTest, AcknowledgingMoreThanWasSentIsAStreamError) {
  enable();
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  session().deliver(*m);
  send("<a xmlns='urn:xmpp:sm:3' h='5'/>");
  auto error = stream_error();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->condition, xmpp::StreamCondition::UndefinedCondition);
  bool detailed = false;
  for (const auto& s : io->client.received) {
    if (const xmpp::Element* e = s->root().child("handled-count-too-high", ns::kStreamManagement)) {
      detailed = e->attr("h") == "5" && e->attr("send-count") == "1";
    }
  }
  EXPECT_TRUE(detailed);
}

TEST_F(StreamManagementTest, ResumableSessionsDetachInsteadOfEnding) {
  options.resume_timeout_s = 120;
  establish();
  send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  ASSERT_TRUE(last().is("enabled", ns::kStreamManagement));
  EXPECT_EQ(last().attr("id"), "rid");
  EXPECT_EQ(last().attr("resume"), "true");
  EXPECT_EQ(last().attr("max"), "120");
  session().on_disconnected();
  EXPECT_EQ(host.detached, &session());
  EXPECT_EQ(session().state(), SessionState::Detached);
  EXPECT_EQ(host.closed, 0);  // not ended: waiting to be resumed
  std::size_t written = io->client.received.size();
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  session().deliver(*m);  // kept, not written
  EXPECT_EQ(io->client.received.size(), written);
  EXPECT_EQ(session().stream_management().unacked_count(), 1U);
  session().expire();
  EXPECT_EQ(host.closed, 1);
}

TEST_F(StreamManagementTest, WithoutAResumeWindowEnableOffersNoId) {
  establish();  // options.resume_timeout_s is 0
  send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  ASSERT_TRUE(last().is("enabled", ns::kStreamManagement));
  EXPECT_FALSE(last().has_attr("id"));
  session().on_disconnected();
  EXPECT_EQ(host.detached, nullptr);
  EXPECT_EQ(host.closed, 1);
}

TEST_F(StreamManagementTest, ResumeRetransmitsWhatTheClientDidNotAcknowledge) {
  options.resume_timeout_s = 60;
  negotiate_tls();
  ASSERT_TRUE(scram(ScramHash::Sha256, "juliet", "pencil", false).is("success", ns::kSasl));
  io->client.restart();
  send(kHeader);
  send("<resume xmlns='urn:xmpp:sm:3' previd='old' h='1'/>");
  ASSERT_EQ(host.resuming, &session());
  EXPECT_EQ(host.resume_asked, "old");
  EXPECT_EQ(session().state(), SessionState::Resuming);
  // The old session had sent m1 and m2 and handled 4 stanzas from the client.
  StreamManagement previous;
  previous.enable();
  for (int i = 0; i < 4; ++i) {
    previous.handled(previous.received());
  }
  for (const char* id : {"m1", "m2"}) {
    xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
    m->root().set_attr("id", id);
    previous.sent(std::move(m));
  }
  xmpp::StanzaPtr meanwhile = xmpp::Stanza::create("message", ns::kClient);
  meanwhile->root().set_attr("id", "m3");
  session().deliver(*meanwhile);  // arrived during the hand-over
  session().resume_succeeded(xmpp::Jid::parse("juliet@example.com/balcony").value(),
                             std::move(previous), "old");
  EXPECT_TRUE(session().established());
  EXPECT_EQ(session().jid().full(), "juliet@example.com/balcony");
  std::vector<std::string> after;
  bool resumed = false;
  for (const auto& st : io->client.received) {
    if (st->root().is("resumed", ns::kStreamManagement)) {
      resumed = true;
      EXPECT_EQ(st->root().attr("h"), "4");
      EXPECT_EQ(st->root().attr("previd"), "old");
    } else if (resumed && st->root().is("message", ns::kClient)) {
      after.push_back(std::string(st->root().attr("id")));
    }
  }
  EXPECT_TRUE(resumed);
  EXPECT_EQ(after, (std::vector<std::string>{"m2", "m3"}));  // h='1' acknowledged m1
}

// c2s.max_unacked_stanzas: at the limit the session lives; one past it, the host is told (once:
// it ends the session on the next loop turn, not inside the delivery), and then the stream ends
// with resource-constraint; everything it kept is there for the host to route again.
TEST_F(StreamManagementTest, PastTheUnackedLimitTheStreamEndsWithResourceConstraint) {
  options.max_unacked_stanzas = 3;
  enable();
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  for (int i = 0; i < 3; ++i) {
    session().deliver(*m);
  }
  EXPECT_EQ(host.overflowing, nullptr);
  session().deliver(*m);
  EXPECT_EQ(host.overflowing, &session());
  host.overflowing = nullptr;
  session().deliver(*m);  // kept like the rest meanwhile; told once
  EXPECT_EQ(host.overflowing, nullptr);
  EXPECT_FALSE(stream_error().has_value());
  session().end_for_unacked_overflow();
  auto error = stream_error();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->condition, xmpp::StreamCondition::ResourceConstraint);
  EXPECT_EQ(host.closed, 1);
  EXPECT_EQ(session().take_unacked().size(), 5U);
}

// The same limit in bytes: the memory the kept copies hold.
TEST_F(StreamManagementTest, PastTheUnackedBytesTheStreamEnds) {
  options.max_unacked_bytes = 64 * 1024;
  enable();
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  m->root().add_child("body", ns::kClient).set_text(std::string(10000, 'x'));
  for (int i = 0; i < 5; ++i) {
    session().deliver(*m);
  }
  EXPECT_EQ(host.overflowing, nullptr);
  EXPECT_GE(session().stream_management().unacked_bytes(), 5U * 10000);
  for (int i = 0; i < 2 && host.overflowing == nullptr; ++i) {
    session().deliver(*m);
  }
  ASSERT_EQ(host.overflowing, &session());
  session().end_for_unacked_overflow();
  ASSERT_TRUE(stream_error().has_value());
  EXPECT_EQ(stream_error()->condition, xmpp::StreamCondition::ResourceConstraint);
}

// A detached session cannot be closed from inside a delivery: it tells the host, once.
TEST_F(StreamManagementTest, ADetachedSessionPastTheLimitIsReportedToItsHostOnce) {
  options.max_unacked_stanzas = 2;
  options.resume_timeout_s = 60;
  establish();
  send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  session().on_disconnected();
  ASSERT_EQ(host.detached, &session());
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
  session().deliver(*m);
  session().deliver(*m);
  EXPECT_EQ(host.overflowing, nullptr);
  session().deliver(*m);
  EXPECT_EQ(host.overflowing, &session());
  host.overflowing = nullptr;
  session().deliver(*m);
  EXPECT_EQ(host.overflowing, nullptr);                          // reported once
  EXPECT_EQ(session().stream_management().unacked_count(), 4U);  // nothing dropped meanwhile
}

// A resumption resends in slices of 64 KiB, one each time the connection asks; what is delivered
// meanwhile queues behind the resend, so the client sees everything once and in order.
TEST_F(StreamManagementTest, AResumptionResendsInSlicesWithNewStanzasBehind) {
  options.resume_timeout_s = 60;
  negotiate_tls();
  ASSERT_TRUE(scram(ScramHash::Sha256, "juliet", "pencil", false).is("success", ns::kSasl));
  io->client.restart();
  send(kHeader);
  send("<resume xmlns='urn:xmpp:sm:3' previd='old' h='0'/>");
  StreamManagement previous;
  previous.enable();
  const int kept = 40;  // 40 of 4 KB: three slices
  for (int i = 0; i < kept; ++i) {
    xmpp::StanzaPtr m = xmpp::Stanza::create("message", ns::kClient);
    m->root().set_attr("id", std::to_string(i));
    m->root().add_child("body", ns::kClient).set_text(std::string(4000, 'x'));
    previous.sent(std::move(m));
  }
  session().resume_succeeded(xmpp::Jid::parse("juliet@example.com/balcony").value(),
                             std::move(previous), "old");
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& st : io->client.received) {
      if (st->root().is("message", ns::kClient)) {
        out.emplace_back(st->root().attr("id"));
      }
    }
    return out;
  };
  std::size_t first_slice = ids().size();
  EXPECT_GT(first_slice, 0U);
  EXPECT_LT(first_slice, 20U);
  EXPECT_EQ(io->writable_requests, 1);
  xmpp::StanzaPtr live = xmpp::Stanza::create("message", ns::kClient);
  live->root().set_attr("id", "live");
  EXPECT_TRUE(session().deliver(*live));
  EXPECT_EQ(ids().size(), first_slice);  // behind the resend, not before it
  int turns = 0;
  while (io->writable_requests > turns) {
    ++turns;
    session().on_writable();
  }
  std::vector<std::string> expected;
  for (int i = 0; i < kept; ++i) {
    expected.push_back(std::to_string(i));
  }
  expected.emplace_back("live");
  EXPECT_EQ(ids(), expected);
  EXPECT_GE(turns, 2);
  EXPECT_EQ(session().stream_management().unwritten(), 0U);
  xmpp::StanzaPtr after = xmpp::Stanza::create("message", ns::kClient);
  after->root().set_attr("id", "after");
  session().deliver(*after);
  EXPECT_EQ(ids().back(), "after");  // the resend is over: written at once again
}

TEST_F(StreamManagementTest, AFailedResumeLetsTheClientBind) {
  negotiate_tls();
  ASSERT_TRUE(scram(ScramHash::Sha256, "juliet", "pencil", false).is("success", ns::kSasl));
  io->client.restart();
  send(kHeader);
  send("<resume xmlns='urn:xmpp:sm:3' previd='gone' h='0'/>");
  session().resume_failed();
  EXPECT_TRUE(last().is("failed", ns::kStreamManagement));
  send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  EXPECT_TRUE(session().established());
}

// --- XEP-0352 ---

TEST_F(C2sSessionTest, InactiveClientsGetPresenceAndChatStatesLaterAndInOrder) {
  establish();
  auto stanza = [](std::string_view xml) { return xmpp::parse_stanza(xml); };
  auto received_ids = [&] {
    std::vector<std::string> ids;
    for (const auto& s : io->client.received) {
      if (s->root().has_attr("id") && s->root().attr("id") != "b1") {
        ids.emplace_back(s->root().attr("id"));
      }
    }
    return ids;
  };
  send("<inactive xmlns='urn:xmpp:csi:0'/>");
  session().deliver(*stanza("<presence id='p1' from='romeo@example.net/a'/>"));
  session().deliver(
      *stanza("<presence id='p2' from='romeo@example.net/a'><show>away</show>"
              "</presence>"));  // replaces p1
  session().deliver(
      *stanza("<message id='c1' from='romeo@example.net/a' type='chat'>"
              "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
              "</message>"));
  EXPECT_TRUE(received_ids().empty());
  // A message with a body goes out at once, after what waited.
  session().deliver(
      *stanza("<message id='m1' from='romeo@example.net/a' type='chat'>"
              "<body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
              "</message>"));
  EXPECT_EQ(received_ids(), (std::vector<std::string>{"p2", "c1", "m1"}));
  session().deliver(*stanza("<presence id='p3' from='nurse@example.net/b'/>"));
  session().deliver(*stanza("<presence id='s1' from='nurse@example.net' type='subscribe'/>"));
  EXPECT_EQ(received_ids().back(), "s1");  // subscription requests are not held
  session().deliver(*stanza("<presence id='p4' from='nurse@example.net/c'/>"));
  send("<active xmlns='urn:xmpp:csi:0'/>");
  EXPECT_EQ(received_ids(), (std::vector<std::string>{"p2", "c1", "m1", "p3", "s1", "p4"}));
  session().deliver(*stanza("<presence id='p5' from='romeo@example.net/a'/>"));
  EXPECT_EQ(received_ids().back(), "p5");  // active again: nothing waits
}

TEST(ClientStateBuffer, IsBounded) {
  ClientState csi;
  csi.set_inactive();
  std::size_t released = 0;
  for (std::size_t i = 0; i <= ClientState::kMaxHeld; ++i) {
    auto p = xmpp::parse_stanza("<presence from='a@b/" + std::to_string(i) + "'/>");
    released += csi.offer(std::move(p)).size();
  }
  EXPECT_EQ(released, ClientState::kMaxHeld + 1);  // the one past the bound sent them all
  EXPECT_EQ(csi.held(), 0U);
}

TEST(StreamManagementCounters, ReportingATicketTwiceIsHarmless) {
  StreamManagement sm;
  sm.enable();
  auto first = sm.received();
  auto second = sm.received();
  sm.handled(second);
  sm.handled(second);
  EXPECT_EQ(sm.inbound_h(), 0U);
  sm.handled(first);
  EXPECT_EQ(sm.inbound_h(), 2U);
  auto third = sm.received();
  sm.handled(first);  // long done: ignored
  sm.handled(third);
  EXPECT_EQ(sm.inbound_h(), 3U);
  EXPECT_TRUE(sm.all_handled());
}

TEST(StreamManagementCounters, CountsTheMemoryOfKeptCopiesAndClampsTheUnwritten) {
  StreamManagement sm;
  sm.enable();
  for (int i = 0; i < 4; ++i) {
    sm.sent(xmpp::Stanza::create("message", ns::kClient));
  }
  std::size_t each = sm.unacked_bytes() / 4;
  EXPECT_GT(each, 0U);
  sm.set_unwritten(3);              // the last three wait for a resend
  EXPECT_FALSE(sm.acknowledge(2));  // the second was never written: the client cannot have it
  EXPECT_TRUE(sm.acknowledge(1));
  EXPECT_EQ(sm.unacked_bytes(), 3 * each);
  EXPECT_EQ(sm.unwritten(), 3U);
  sm.drop_next_unwritten();
  EXPECT_EQ(sm.unacked_count(), 2U);
  EXPECT_EQ(sm.unwritten(), 2U);
  EXPECT_EQ(sm.unacked_bytes(), 2 * each);
  sm.take_unacked();
  EXPECT_EQ(sm.unacked_bytes(), 0U);
  EXPECT_EQ(sm.unwritten(), 0U);
}

TEST(StreamManagementCounters, WrapAroundAtTwoToThe32) {
  StreamManagement sm;
  sm.enable();
  sm.set_counters_for_test((std::uint64_t{1} << 32) - 2);  // h is 4294967294
  for (int i = 0; i < 4; ++i) {
    sm.handled(sm.received());
    sm.sent(xmpp::Stanza::create("message", ns::kClient));
  }
  EXPECT_EQ(sm.inbound_h(), 2U);  // 4294967294 + 4, modulo 2^32
  EXPECT_TRUE(sm.all_handled());
  // The client acknowledges across the wrap: h=1 means three of the four (…95, …96=0, 1).
  EXPECT_TRUE(sm.acknowledge(1));
  EXPECT_EQ(sm.unacked_count(), 1U);
  EXPECT_EQ(sm.outbound_h(), 1U);
  EXPECT_TRUE(sm.acknowledge(1));  // the same h again: nothing more
  EXPECT_EQ(sm.unacked_count(), 1U);
  EXPECT_FALSE(sm.acknowledge(3));  // one more than was sent
  EXPECT_TRUE(sm.acknowledge(2));
  EXPECT_EQ(sm.unacked_count(), 0U);
}

}  // namespace
}  // namespace tern::core::c2s
