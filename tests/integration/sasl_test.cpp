// SPDX-License-Identifier: MIT
// Every SASL mechanism against the real ternd over real sockets, with a client built from Tern's
// own library (TlsTransport, StreamParser, ScramClient): no packaged client here speaks
// SCRAM-*-PLUS with tls-exporter or tls-server-end-point. Also: PLAIN refused before TLS, direct
// TLS with ALPN, and the bind conflict rule (RFC 6120 §7.7.2.2).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <sstream>
#include <string>

#include "core/net/tls_context.h"
#include "core/net/tls_transport.h"
#include "tests/integration/ternd_process.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/stream_parser.h"

namespace tern {
namespace {

namespace ns = xmpp::ns;
using xmpp::sasl::ScramHash;

using testing::Ternd;

// A blocking client: socket, optional TLS, our stream parser.
class Client : public xmpp::StreamSink {
 public:
  explicit Client(std::uint16_t port, bool direct_tls = false) : parser_(*this) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (direct_tls) {
      start_tls(std::string(core::net::kAlpnXmppClient));
    }
  }
  ~Client() override { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void on_stream_open(const xmpp::StreamHeader&) override {}
  void on_stanza(xmpp::StanzaPtr s) override { received_.push_back(std::move(s)); }
  void on_stream_close() override { closed_ = true; }
  void on_stream_error(const xmpp::StreamError&) override { closed_ = true; }

  void send(std::string_view xml) {
    std::string wire;
    if (tls_) {
      ASSERT_TRUE(tls_->send(xml, wire).ok());
    } else {
      wire = xml;
    }
    ASSERT_EQ(::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(wire.size()));
  }
  void open_stream() {
    parser_.reset();
    send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  }
  // The next top-level element from the server (nullptr after 5 s or at the end of the stream).
  xmpp::StanzaPtr next() {
    while (received_.empty() && !closed_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) {
        return nullptr;
      }
      char buf[16384];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      std::string plaintext(buf, static_cast<std::size_t>(n));
      if (tls_) {
        plaintext.clear();
        std::string reply;
        if (!tls_->on_received(std::string_view(buf, static_cast<std::size_t>(n)), plaintext,
                               reply)) {
          return nullptr;
        }
        if (!reply.empty()) {
          ::send(fd_, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
      }
      parser_.feed(plaintext);
    }
    if (received_.empty()) {
      return nullptr;
    }
    xmpp::StanzaPtr s = std::move(received_.front());
    received_.pop_front();
    return s;
  }
  void start_tls(std::string alpn = {}) {
    core::net::TlsClientOptions options;
    options.alpn = std::move(alpn);
    context_ =
        std::make_unique<core::net::TlsContext>(core::net::TlsContext::client(options).value());
    tls_ = core::net::TlsTransport::client(*context_, "localhost").value();
    std::string hello;
    ASSERT_TRUE(tls_->start(hello).ok());
    ASSERT_EQ(::send(fd_, hello.data(), hello.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(hello.size()));
  }
  // Plain stream → STARTTLS → encrypted stream; returns the encrypted stream's features.
  xmpp::StanzaPtr negotiate_tls() {
    open_stream();
    next();  // features with starttls
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto proceed = next();
    EXPECT_TRUE(proceed && proceed->root().is("proceed", ns::kTls));
    start_tls();
    open_stream();
    return next();
  }
  core::net::TlsTransport* tls() { return tls_.get(); }

  // A SCRAM exchange; returns the final element (success or failure).
  xmpp::StanzaPtr scram(ScramHash hash, std::optional<xmpp::sasl::ChannelBindingData> binding) {
    xmpp::sasl::ScramClientOptions options;
    options.channel_binding = std::move(binding);
    xmpp::sasl::ScramClient client(hash, "juliet", "balcony", options);
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" +
         std::string(client.mechanism_name()) + "'>" +
         xmpp::base64_encode(client.client_first().value()) + "</auth>");
    auto challenge = next();
    if (!challenge || !challenge->root().is("challenge", ns::kSasl)) {
      return challenge;
    }
    auto final_message = client.client_final(*xmpp::base64_decode(challenge->root().text()));
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
         xmpp::base64_encode(final_message.value()) + "</response>");
    auto outcome = next();
    if (outcome && outcome->root().is("success", ns::kSasl)) {
      EXPECT_TRUE(client.verify_server_final(*xmpp::base64_decode(outcome->root().text())).ok());
    }
    return outcome;
  }
  // Authenticates, restarts and binds `resource`; returns the bind reply.
  xmpp::StanzaPtr login(std::string_view resource) {
    negotiate_tls();
    auto outcome = scram(ScramHash::Sha256, std::nullopt);
    EXPECT_TRUE(outcome && outcome->root().is("success", ns::kSasl));
    open_stream();
    auto features = next();  // bind, and the server's XEP-0115 capabilities
    EXPECT_TRUE(features && features->root().child("bind", ns::kBind) &&
                features->root().child("c", ns::kCaps) &&
                !features->root().child("c", ns::kCaps)->attr("ver").empty());
    send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         std::string(resource) + "</resource></bind></iq>");
    return next();
  }

 private:
  int fd_ = -1;
  xmpp::StreamParser parser_;
  std::deque<xmpp::StanzaPtr> received_;
  bool closed_ = false;
  std::unique_ptr<core::net::TlsContext> context_;
  std::unique_ptr<core::net::TlsTransport> tls_;
};

class SaslTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new Ternd(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Ternd* server_;
};
Ternd* SaslTest::server_ = nullptr;

TEST_F(SaslTest, EveryScramMechanismWithAndWithoutChannelBinding) {
  for (ScramHash hash : {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512}) {
    for (std::string_view type : {"", "tls-exporter", "tls-server-end-point"}) {
      Client client(server_->starttls_port);
      client.negotiate_tls();
      std::optional<xmpp::sasl::ChannelBindingData> binding;
      if (!type.empty()) {
        for (const auto& b : client.tls()->channel_bindings()) {
          if (b.type == type) {
            binding = b;
          }
        }
        ASSERT_TRUE(binding.has_value()) << type;
      }
      auto outcome = client.scram(hash, binding);
      ASSERT_NE(outcome, nullptr);
      EXPECT_TRUE(outcome->root().is("success", ns::kSasl))
          << xmpp::sasl::scram_mechanism_name(hash, !type.empty()) << " " << type;
    }
  }
}

TEST_F(SaslTest, PlainOverTlsWorksAndBeforeTlsIsRefused) {
  {
    Client client(server_->starttls_port);
    client.open_stream();
    client.next();
    client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                xmpp::base64_encode(*xmpp::sasl::plain_initial_response("juliet", "balcony")) +
                "</auth>");
    auto failure = client.next();
    ASSERT_NE(failure, nullptr);
    EXPECT_NE(failure->root().child("encryption-required", ns::kSasl), nullptr);
  }
  Client client(server_->starttls_port);
  client.negotiate_tls();
  client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
              xmpp::base64_encode(*xmpp::sasl::plain_initial_response("juliet", "balcony")) +
              "</auth>");
  auto success = client.next();
  ASSERT_NE(success, nullptr);
  EXPECT_TRUE(success->root().is("success", ns::kSasl));
}

TEST_F(SaslTest, DirectTlsWithAlpnOffersMechanismsAtOnce) {
  Client client(server_->direct_tls_port, true);
  client.open_stream();
  auto features = client.next();
  ASSERT_NE(features, nullptr);
  EXPECT_NE(features->root().child("mechanisms", ns::kSasl), nullptr);
  EXPECT_EQ(features->root().child("starttls", ns::kTls), nullptr);
  EXPECT_EQ(client.tls()->negotiated_alpn(), core::net::kAlpnXmppClient);
}

TEST_F(SaslTest, SecondBindOfTheSameResourceReplacesTheFirst) {
  Client first(server_->starttls_port);
  auto bound = first.login("desk");
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound->type(), "result");
  Client second(server_->starttls_port);
  auto again = second.login("desk");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->type(), "result");
  auto error = first.next();
  ASSERT_NE(error, nullptr);
  auto parsed = xmpp::StreamError::from_element(error->root());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->condition, xmpp::StreamCondition::Conflict);
}

}  // namespace
}  // namespace tern
