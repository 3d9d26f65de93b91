// SPDX-License-Identifier: MIT
// TlsTransport against itself, in memory: handshakes in any slicing, data both ways, versions,
// ALPN, SNI, channel binding, resumption, closing, and bad input. Certificates are the
// self-signed ones TlsContext generates for two hosts in a temporary directory.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "tls/tls_context.h"
#include "tls/tls_transport.h"
#include "tls_test_util.h"

namespace tern::tls {
namespace {

using testing::Peer;
using testing::pump;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto context = TlsContext::server({{"a.example", "", ""}, {"b.example", "", ""}}, dir_.path());
    ASSERT_TRUE(context.ok()) << context.error().message;
    server_context_ = std::make_unique<TlsContext>(std::move(context).value());
  }

  std::unique_ptr<TlsContext> client_context(const TlsClientOptions& options = {}) {
    auto context = TlsContext::client(options);
    EXPECT_TRUE(context.ok()) << context.error().message;
    return context.ok() ? std::make_unique<TlsContext>(std::move(context).value()) : nullptr;
  }

  // A client and a server transport, the client's handshake started.
  void open(const TlsContext& client_context, std::string_view server_name = "a.example") {
    auto client = TlsTransport::client(client_context, server_name);
    auto server = TlsTransport::server(*server_context_, server_alpn_);
    ASSERT_TRUE(client.ok()) << client.error().message;
    ASSERT_TRUE(server.ok()) << server.error().message;
    client_.tls = std::move(client).value();
    server_.tls = std::move(server).value();
    ASSERT_TRUE(client_.tls->start(client_.out).ok());
    EXPECT_FALSE(client_.out.empty());  // the ClientHello
  }

  // open() and pump until both sides are quiet; checks that the handshake completed.
  void connect(const TlsContext& client_context, std::string_view server_name = "a.example",
               std::size_t slice = 0) {
    open(client_context, server_name);
    pump(client_, server_, slice);
    ASSERT_FALSE(client_.error) << client_.error->message;
    ASSERT_FALSE(server_.error) << server_.error->message;
    ASSERT_TRUE(client_.tls->handshake_done());
    ASSERT_TRUE(server_.tls->handshake_done());
  }

  // The certificate the client received.
  X509* server_certificate() const { return SSL_get0_peer_certificate(client_.tls->native()); }
  void load_host_certificates() {
    for (const TlsHostInfo& host : server_context_->hosts()) {
      auto loaded = load_certified_key(host.certificate_file, host.key_file);
      ASSERT_TRUE(loaded.ok()) << loaded.error().message;
      loaded_.push_back(std::move(loaded).value());
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<TlsContext> server_context_;
  ServerAlpn server_alpn_ = ServerAlpn::XmppClient;  // what open()'s server transport may agree
  std::vector<CertifiedKey> loaded_;
  Peer client_;
  Peer server_;
};

std::string pattern(std::size_t size, unsigned seed) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    text[i] = static_cast<char>((i * 131 + seed) % 251);
  }
  return text;
}

TEST(PlainTransport, PassesBytesThroughUnchanged) {
  PlainTransport plain;
  std::string text;
  std::string wire;
  EXPECT_TRUE(plain.start(wire).ok());
  EXPECT_TRUE(plain.on_received("<stream:stream>", text, wire).ok());
  EXPECT_TRUE(plain.send("<features/>", wire).ok());
  EXPECT_EQ(text, "<stream:stream>");
  EXPECT_EQ(wire, "<features/>");
  EXPECT_TRUE(plain.handshake_done());
  EXPECT_FALSE(plain.is_encrypted());
  EXPECT_TRUE(plain.channel_bindings().empty());
  EXPECT_EQ(plain.negotiated_alpn(), "");
  EXPECT_EQ(plain.sni(), "");
  plain.close(wire);
  auto after = plain.send("x", wire);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, TransportErrorKind::Closed);
}

TEST_F(Tls, Tls13HandshakeAndDataBothWays) {
  auto client_context = this->client_context();
  connect(*client_context);
  EXPECT_EQ(client_.tls->protocol_version(), "TLSv1.3");
  EXPECT_EQ(server_.tls->protocol_version(), "TLSv1.3");
  EXPECT_TRUE(server_.tls->is_encrypted());
  EXPECT_EQ(server_.tls->sni(), "a.example");
  EXPECT_EQ(client_.tls->sni(), "a.example");

  client_.send("<stream:stream to='a.example'>");
  server_.send("<stream:stream from='a.example'>");
  EXPECT_EQ(client_.out.find("stream"), std::string::npos);  // encrypted
  pump(client_, server_);
  EXPECT_EQ(server_.plain, "<stream:stream to='a.example'>");
  EXPECT_EQ(client_.plain, "<stream:stream from='a.example'>");
  EXPECT_FALSE(client_.error || server_.error);
}

TEST_F(Tls, OneByteAtATime) {
  auto client_context = this->client_context({std::string(kAlpnXmppClient), ""});
  connect(*client_context, "a.example", 1);
  EXPECT_EQ(server_.tls->negotiated_alpn(), "xmpp-client");
  client_.send("ping");
  server_.send("pong");
  pump(client_, server_, 1);
  EXPECT_EQ(server_.plain, "ping");
  EXPECT_EQ(client_.plain, "pong");
}

TEST_F(Tls, LargePayloadsBothWays) {
  auto client_context = this->client_context();
  connect(*client_context);
  const std::string up = pattern(std::size_t{1} << 20, 7);
  const std::string down = pattern(std::size_t{1} << 20, 11);
  client_.send(up);
  server_.send(down);
  pump(client_, server_, 1000);  // slices that cut records anywhere
  EXPECT_EQ(server_.plain.size(), up.size());
  EXPECT_TRUE(server_.plain == up);
  EXPECT_TRUE(client_.plain == down);
}

TEST_F(Tls, HandshakeEndAndDataArriveInOneRead) {
  auto client_context = this->client_context();
  open(*client_context);
  client_.send("<stream:stream>");  // held until the handshake completes
  testing::deliver(client_, server_);
  testing::deliver(server_, client_);  // ServerHello … Finished
  ASSERT_TRUE(client_.tls->handshake_done());
  ASSERT_FALSE(server_.tls->handshake_done());
  // The client's Finished and its first record, in one read.
  auto received = server_.tls->on_received(client_.out, server_.plain, server_.out);
  ASSERT_TRUE(received.ok()) << received.error().message;
  EXPECT_TRUE(server_.tls->handshake_done());
  EXPECT_EQ(server_.plain, "<stream:stream>");
  EXPECT_FALSE(server_.out.empty());  // the session ticket
}

TEST_F(Tls, ForcedTls12) {
  auto client_context = this->client_context();
  SSL_CTX_set_max_proto_version(client_context->native(), TLS1_2_VERSION);
  connect(*client_context, "b.example", 7);
  EXPECT_EQ(server_.tls->protocol_version(), "TLSv1.2");
  client_.send("hello over 1.2");
  pump(client_, server_);
  EXPECT_EQ(server_.plain, "hello over 1.2");
  auto server_bindings = server_.tls->channel_bindings();
  ASSERT_EQ(server_bindings.size(), 2U);  // extended master secret: tls-exporter is defined
  EXPECT_EQ(server_bindings, client_.tls->channel_bindings());
}

TEST_F(Tls, ChannelBindingsAgreeOnBothSides) {
  load_host_certificates();
  auto client_context = this->client_context();
  connect(*client_context, "b.example");
  auto server_bindings = server_.tls->channel_bindings();
  auto client_bindings = client_.tls->channel_bindings();
  ASSERT_EQ(server_bindings.size(), 2U);
  EXPECT_EQ(server_bindings[0].type, "tls-exporter");
  EXPECT_EQ(server_bindings[0].data.size(), 32U);
  EXPECT_EQ(server_bindings[1].type, "tls-server-end-point");
  EXPECT_EQ(server_bindings, client_bindings);
  // The SHA-256 (the certificate's signature hash) of b.example's certificate.
  std::string expected(32, '\0');
  unsigned int size = 0;
  ASSERT_EQ(X509_digest(loaded_[1].certificate.get(), EVP_sha256(),
                        reinterpret_cast<unsigned char*>(expected.data()), &size),
            1);
  EXPECT_EQ(server_bindings[1].data, expected);

  // Another connection has another exporter value, and the same certificate hash.
  Peer first_client = std::move(client_);
  client_ = Peer{};
  server_ = Peer{};
  connect(*client_context, "b.example");
  auto again = client_.tls->channel_bindings();
  EXPECT_NE(again[0].data, first_client.tls->channel_bindings()[0].data);
  EXPECT_EQ(again[1].data, expected);
}

TEST_F(Tls, NoExporterOverTls12WithoutExtendedMasterSecret) {
  auto client_context = this->client_context();
  SSL_CTX_set_max_proto_version(client_context->native(), TLS1_2_VERSION);
  SSL_CTX_set_options(client_context->native(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
  connect(*client_context);
  auto server_bindings = server_.tls->channel_bindings();
  ASSERT_EQ(server_bindings.size(), 1U);
  EXPECT_EQ(server_bindings[0].type, "tls-server-end-point");
  EXPECT_EQ(server_bindings, client_.tls->channel_bindings());
}

TEST_F(Tls, NoChannelBindingsBeforeTheHandshake) {
  auto client_context = this->client_context();
  open(*client_context);
  EXPECT_TRUE(client_.tls->channel_bindings().empty());
  EXPECT_TRUE(server_.tls->channel_bindings().empty());
}

TEST_F(Tls, AlpnIsOptionalButMustBeXmppClientWhenOffered) {
  auto without = client_context();
  connect(*without);
  EXPECT_EQ(server_.tls->negotiated_alpn(), "");

  client_ = Peer{};
  server_ = Peer{};
  auto with = client_context({"xmpp-client", ""});
  connect(*with);
  EXPECT_EQ(server_.tls->negotiated_alpn(), "xmpp-client");
  EXPECT_EQ(client_.tls->negotiated_alpn(), "xmpp-client");

  client_ = Peer{};
  server_ = Peer{};
  auto other = client_context({"h2", ""});
  open(*other);
  pump(client_, server_);
  ASSERT_TRUE(server_.error);
  EXPECT_EQ(server_.error->kind, TransportErrorKind::Handshake);
  EXPECT_NE(server_.error->message.find("no application protocol"), std::string::npos)
      << server_.error->message;
  ASSERT_TRUE(client_.error);  // got the alert
  EXPECT_NE(client_.error->message.find("no application protocol"), std::string::npos)
      << client_.error->message;
}

// RFC 7301 §3.1 wire form of a protocol list.
std::string alpn_list(std::initializer_list<std::string_view> protocols) {
  std::string wire;
  for (std::string_view p : protocols) {
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}

TEST(AlpnSelection, BinaryWhenAllowedAndOfferedInAnyOrderElseXmppClient) {
  const std::string both = alpn_list({kAlpnXmppBinary, kAlpnXmppClient});
  const std::string reversed = alpn_list({kAlpnXmppClient, kAlpnXmppBinary});
  EXPECT_EQ(select_alpn_protocol(both, true), kAlpnXmppBinary);
  EXPECT_EQ(select_alpn_protocol(reversed, true), kAlpnXmppBinary);
  EXPECT_EQ(select_alpn_protocol(both, false), kAlpnXmppClient);
  EXPECT_EQ(select_alpn_protocol(alpn_list({kAlpnXmppClient}), true), kAlpnXmppClient);
  EXPECT_EQ(select_alpn_protocol(alpn_list({"h2", kAlpnXmppBinary}), true), kAlpnXmppBinary);
  EXPECT_EQ(select_alpn_protocol(alpn_list({kAlpnXmppBinary}), false), "");
  EXPECT_EQ(select_alpn_protocol(alpn_list({"h2", "http/1.1"}), true), "");
  EXPECT_EQ(select_alpn_protocol("", true), "");
  // Malformed lists choose nothing: a length past the end, an empty name.
  EXPECT_EQ(select_alpn_protocol(std::string("\x20xmpp-client"), true), "");
  EXPECT_EQ(select_alpn_protocol(std::string("\0", 1) + alpn_list({kAlpnXmppClient}), true), "");
  // Version 2 of the format is another protocol.
  EXPECT_EQ(select_alpn_protocol(alpn_list({"tern-xmpp-binary/2", kAlpnXmppClient}), true),
            kAlpnXmppClient);
}

TEST_F(Tls, DirectTlsAgreesOnBinaryWithAClientOfferingIt) {
  server_alpn_ = ServerAlpn::XmppClientOrBinary;
  TlsClientOptions options;
  options.alpn = kAlpnXmppClient;
  options.preferred_alpn = {std::string(kAlpnXmppBinary)};
  auto binary_client = client_context(options);
  connect(*binary_client);
  EXPECT_EQ(server_.tls->negotiated_alpn(), kAlpnXmppBinary);
  EXPECT_EQ(client_.tls->negotiated_alpn(), kAlpnXmppBinary);

  client_ = Peer{};
  server_ = Peer{};
  auto standard = client_context({"xmpp-client", ""});
  connect(*standard);
  EXPECT_EQ(server_.tls->negotiated_alpn(), kAlpnXmppClient);
}

TEST_F(Tls, StarttlsAndADisabledContextNeverAgreeOnBinary) {
  TlsClientOptions options;
  options.alpn = kAlpnXmppClient;
  options.preferred_alpn = {std::string(kAlpnXmppBinary)};
  auto binary_client = client_context(options);
  connect(*binary_client);  // server_alpn_ is XmppClient, as for STARTTLS
  EXPECT_EQ(server_.tls->negotiated_alpn(), kAlpnXmppClient);

  auto disabled = TlsContext::server({{"a.example", "", ""}}, dir_.path(), false);
  ASSERT_TRUE(disabled.ok()) << disabled.error().message;
  server_context_ = std::make_unique<TlsContext>(std::move(disabled).value());
  server_alpn_ = ServerAlpn::XmppClientOrBinary;
  client_ = Peer{};
  server_ = Peer{};
  connect(*binary_client);
  EXPECT_EQ(server_.tls->negotiated_alpn(), kAlpnXmppClient);
}

TEST_F(Tls, SniSelectsTheHostCertificate) {
  load_host_certificates();
  auto client_context = this->client_context();
  const struct {
    const char* name;
    std::size_t host;
  } cases[] = {{"b.example", 1}, {"B.Example", 1}, {"a.example", 0}, {"c.example", 0}, {"", 0}};
  for (const auto& c : cases) {
    client_ = Peer{};
    server_ = Peer{};
    connect(*client_context, c.name);
    ASSERT_NE(server_certificate(), nullptr);
    EXPECT_EQ(X509_cmp(server_certificate(), loaded_[c.host].certificate.get()), 0) << c.name;
    EXPECT_EQ(server_.tls->sni(), c.name);
    EXPECT_EQ(server_.tls->channel_bindings(), client_.tls->channel_bindings()) << c.name;
  }
}

TEST_F(Tls, VerifiesTheServerWhenGivenATrustFile) {
  auto trusting = client_context({"", server_context_->hosts()[1].certificate_file});
  ASSERT_TRUE(trusting->verifies_peer());
  connect(*trusting, "b.example");

  client_ = Peer{};
  server_ = Peer{};
  open(*trusting, "a.example");  // a.example's certificate is not trusted
  pump(client_, server_);
  ASSERT_TRUE(client_.error);
  EXPECT_EQ(client_.error->kind, TransportErrorKind::Handshake);
  EXPECT_NE(client_.error->message.find("certificate verify failed"), std::string::npos)
      << client_.error->message;

  auto trusting_a = client_context({"", server_context_->hosts()[0].certificate_file});
  client_ = Peer{};
  server_ = Peer{};
  open(*trusting_a, "c.example");  // a.example's trusted certificate, for another name
  pump(client_, server_);
  ASSERT_TRUE(client_.error);
  EXPECT_NE(client_.error->message.find("hostname mismatch"), std::string::npos)
      << client_.error->message;
}

TEST_F(Tls, SessionTicketsResume) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    auto client_context = this->client_context();
    SSL_CTX_set_max_proto_version(client_context->native(), version);
    client_ = Peer{};
    server_ = Peer{};
    connect(*client_context);
    const auto first_bindings = client_.tls->channel_bindings();
    // OpenSSL only keeps the session resumable when the connection was closed properly.
    client_.tls->close(client_.out);
    SSL_SESSION* session = SSL_get1_session(client_.tls->native());
    ASSERT_NE(session, nullptr);

    client_ = Peer{};
    server_ = Peer{};
    auto client = TlsTransport::client(*client_context, "a.example");
    auto server = TlsTransport::server(*server_context_);
    ASSERT_TRUE(client.ok() && server.ok());
    client_.tls = std::move(client).value();
    server_.tls = std::move(server).value();
    ASSERT_EQ(SSL_set_session(client_.tls->native(), session), 1);
    SSL_SESSION_free(session);
    ASSERT_TRUE(client_.tls->start(client_.out).ok());
    pump(client_, server_);
    ASSERT_TRUE(server_.tls->handshake_done()) << version;
    EXPECT_EQ(SSL_session_reused(server_.tls->native()), 1) << version;
    auto bindings = server_.tls->channel_bindings();
    EXPECT_EQ(bindings, client_.tls->channel_bindings()) << version;
    ASSERT_EQ(bindings.size(), 2U) << version;
    EXPECT_NE(bindings[0].data, first_bindings[0].data) << version;
    EXPECT_EQ(server_.tls->sni(), "a.example") << version;
  }
}

TEST_F(Tls, CloseNotifyBothWays) {
  auto client_context = this->client_context();
  connect(*client_context);
  client_.send("</stream:stream>");
  client_.tls->close(client_.out);
  auto late = client_.tls->send("more", client_.out);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind, TransportErrorKind::Closed);
  testing::deliver(client_, server_);
  EXPECT_EQ(server_.plain, "</stream:stream>");
  EXPECT_TRUE(server_.tls->peer_closed());
  EXPECT_FALSE(client_.tls->peer_closed());

  server_.send("</stream:stream>");  // TLS 1.3 allows the other direction to finish
  server_.tls->close(server_.out);
  testing::deliver(server_, client_);
  EXPECT_EQ(client_.plain, "</stream:stream>");
  EXPECT_TRUE(client_.tls->peer_closed());
  EXPECT_FALSE(client_.error || server_.error);
}

TEST_F(Tls, GarbageRecordIsAnErrorNotACrash) {
  auto client_context = this->client_context();
  connect(*client_context);
  const std::string garbage = std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, 'x');
  auto received = server_.tls->on_received(garbage, server_.plain, server_.out);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, TransportErrorKind::Protocol);
  EXPECT_FALSE(received.error().message.empty());
  EXPECT_FALSE(server_.out.empty());  // an alert for the peer (encrypted in TLS 1.3)
  EXPECT_TRUE(server_.plain.empty());
  auto after = server_.tls->on_received("more", server_.plain, server_.out);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, TransportErrorKind::Closed);
  EXPECT_TRUE(server_.tls->channel_bindings().empty());
}

TEST_F(Tls, PlaintextInsteadOfAHandshakeIsAnError) {
  auto server = TlsTransport::server(*server_context_);
  ASSERT_TRUE(server.ok());
  std::string plain;
  std::string out;
  auto received = (*server)->on_received("<?xml version='1.0'?><stream:stream>", plain, out);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, TransportErrorKind::Handshake);
  EXPECT_TRUE(plain.empty());
}

TEST_F(Tls, Tls10And11AreRefused) {
  for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto client_context = this->client_context();
    SSL_CTX* ctx = client_context->native();
    SSL_CTX_set_security_level(ctx, 0);  // let this client offer the old versions
    ASSERT_EQ(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"), 1);
    ASSERT_EQ(SSL_CTX_set_min_proto_version(ctx, version), 1);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(ctx, version), 1);
    client_ = Peer{};
    server_ = Peer{};
    open(*client_context);
    pump(client_, server_);
    ASSERT_TRUE(server_.error) << version;
    EXPECT_EQ(server_.error->kind, TransportErrorKind::Handshake);
    EXPECT_NE(server_.error->message.find("unsupported protocol"), std::string::npos)
        << server_.error->message;
    EXPECT_TRUE(client_.error) << version;
    EXPECT_FALSE(server_.tls->handshake_done());
  }
}

TEST_F(Tls, Tls12CiphersWithoutAeadAreRefused) {
  auto client_context = this->client_context();
  SSL_CTX* ctx = client_context->native();
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA"), 1);
  open(*client_context);
  pump(client_, server_);
  ASSERT_TRUE(server_.error);
  EXPECT_NE(server_.error->message.find("no shared cipher"), std::string::npos)
      << server_.error->message;
}

}  // namespace
}  // namespace tern::tls
