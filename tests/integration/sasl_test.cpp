// SPDX-License-Identifier: MIT
// Every SASL mechanism against the real ternd over real sockets, with a client built from Tern's
// own library (TlsTransport, StreamParser, ScramClient): no packaged client here speaks
// SCRAM-*-PLUS with tls-exporter or tls-server-end-point. Also: PLAIN refused before TLS, direct
// TLS with ALPN, and the bind conflict rule (RFC 6120 §7.7.2.2).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "ternd_process.h"
#include "xml_client.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"

namespace tern {
namespace {

namespace ns = xmpp::ns;
using testing::Ternd;
using xmpp::sasl::ScramHash;
using Client = testing::XmlClient;

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
  EXPECT_EQ(client.tls()->negotiated_alpn(), tls::kAlpnXmppClient);
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
