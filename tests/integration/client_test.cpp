// SPDX-License-Identifier: MIT
// The client library (client/) against the real ternd: every way in (STARTTLS, direct TLS, every
// mechanism), refusals reported with their reason, early stops, and two sessions chatting. The
// conformance runner and tern-bench stand on this library, so it is tested here on its own.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "client/blocking_client.h"
#include "tests/integration/ternd_process.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza_error.h"

namespace tern {
namespace {

using namespace std::chrono_literals;
using client::BlockingClient;
using client::ClientOptions;
using client::Mechanism;
using client::StopAfter;
using client::TlsMode;

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::Ternd();
    tls_ = new tls::TlsContext(tls::TlsContext::client({}).value());
    tls::TlsClientOptions direct;
    direct.alpn = tls::kAlpnXmppClient;
    direct_tls_ = new tls::TlsContext(tls::TlsContext::client(direct).value());
    binary_tls_ =
        new tls::TlsContext(tls::TlsContext::client(client::binary_tls_options()).value());
    ASSERT_TRUE(server_->add_user("romeo@localhost", "montague"));
  }
  static void TearDownTestSuite() {
    delete binary_tls_;
    delete direct_tls_;
    delete tls_;
    delete server_;
  }

  static ClientOptions juliet() {
    ClientOptions options;
    options.username = "juliet";
    options.password = "balcony";
    return options;
  }
  static std::unique_ptr<BlockingClient> connect(ClientOptions options,
                                                 testing::Ternd* server = nullptr) {
    server = server != nullptr ? server : server_;
    const bool binary = options.tls == TlsMode::DirectBinary;
    const bool direct = options.tls == TlsMode::Direct || binary;
    auto c = std::make_unique<BlockingClient>(std::move(options), binary   ? binary_tls_
                                                                  : direct ? direct_tls_
                                                                           : tls_);
    c->connect({"127.0.0.1", direct ? server->direct_tls_port : server->starttls_port}, 10s);
    return c;
  }

  static testing::Ternd* server_;
  static tls::TlsContext* tls_;
  static tls::TlsContext* direct_tls_;
  static tls::TlsContext* binary_tls_;
};
testing::Ternd* ClientTest::server_ = nullptr;
tls::TlsContext* ClientTest::tls_ = nullptr;
tls::TlsContext* ClientTest::direct_tls_ = nullptr;
tls::TlsContext* ClientTest::binary_tls_ = nullptr;

TEST_F(ClientTest, StartTlsEveryMechanismBindsAFullJid) {
  for (Mechanism m :
       {Mechanism::ScramSha256, Mechanism::ScramSha1, Mechanism::ScramSha512, Mechanism::Plain}) {
    ClientOptions options = juliet();
    options.mechanism = m;
    options.resource = "desk";
    auto c = connect(options);
    ASSERT_TRUE(c->stream().ready()) << client::mechanism_name(m) << ": " << c->failure();
    EXPECT_EQ(c->stream().jid().full(), "juliet@localhost/desk");
    EXPECT_TRUE(c->stream().transport()->is_encrypted());
  }
}

TEST_F(ClientTest, DirectTlsWithAServerGeneratedResource) {
  ClientOptions options = juliet();
  options.tls = TlsMode::Direct;
  auto c = connect(options);
  ASSERT_TRUE(c->stream().ready()) << c->failure();
  EXPECT_EQ(c->stream().jid().bare_view(), "juliet@localhost");
  EXPECT_FALSE(c->stream().jid().resource().empty());
  EXPECT_EQ(c->stream().transport()->negotiated_alpn(), tls::kAlpnXmppClient);
}

TEST_F(ClientTest, AWrongPasswordIsReportedAsNotAuthorized) {
  ClientOptions options = juliet();
  options.password = "wrong";
  auto c = connect(options);
  EXPECT_FALSE(c->stream().ready());
  EXPECT_EQ(c->failure(), "SASL failure: not-authorized");
}

TEST_F(ClientTest, PlainTcpWithoutTlsIsRefusedByTheDefaultConfiguration) {
  ClientOptions options = juliet();
  options.tls = TlsMode::None;
  options.mechanism = Mechanism::Plain;
  auto c = connect(options);
  EXPECT_FALSE(c->stream().ready());
  EXPECT_EQ(c->failure(), "the server does not offer PLAIN");
}

TEST_F(ClientTest, StopsAfterFeaturesOrAfterSasl) {
  ClientOptions options = juliet();
  options.stop_after = StopAfter::Features;
  auto features_only = connect(options);
  ASSERT_TRUE(features_only->stream().ready()) << features_only->failure();
  ASSERT_NE(features_only->stream().features(), nullptr);
  EXPECT_NE(features_only->stream().features()->root().child("mechanisms", xmpp::ns::kSasl),
            nullptr);

  options.stop_after = StopAfter::Sasl;
  auto authenticated = connect(options);
  ASSERT_TRUE(authenticated->stream().ready()) << authenticated->failure();
  EXPECT_NE(authenticated->stream().features()->root().child("bind", xmpp::ns::kBind), nullptr);
  EXPECT_TRUE(authenticated->stream().jid().empty());
}

// XEP-0077 before authentication, on a server that leaves registration by username off (the
// default): the form is only the phone module's sign-up form (also on by default), and a
// username sign-up is refused.
TEST_F(ClientTest, RegistrationByUsernameIsRefusedWhenNotEnabled) {
  ClientOptions options = juliet();
  options.stop_after = StopAfter::Features;
  auto c = connect(options);
  ASSERT_TRUE(c->stream().ready()) << c->failure();
  EXPECT_NE(c->stream().features()->root().child("register", xmpp::ns::kRegisterFeature), nullptr);
  ASSERT_TRUE(c->send_xml("<iq type='get' id='reg1'><query xmlns='jabber:iq:register'/></iq>"));
  xmpp::StanzaPtr form = c->next(10s);
  ASSERT_NE(form, nullptr) << c->failure();
  EXPECT_EQ(form->type(), "result");
  const xmpp::Element* query = form->root().child("query", xmpp::ns::kRegister);
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->child("username", xmpp::ns::kRegister), nullptr);
  EXPECT_NE(query->child("x", "jabber:x:data"), nullptr);
  ASSERT_TRUE(
      c->send_xml("<iq type='set' id='reg2'><query xmlns='jabber:iq:register'>"
                  "<username>newcomer</username><password>pw</password></query></iq>"));
  xmpp::StanzaPtr reply = c->next(10s);
  ASSERT_NE(reply, nullptr) << c->failure();
  EXPECT_EQ(reply->type(), "error");
  EXPECT_EQ(reply->id(), "reg2");
  auto error = xmpp::StanzaError::from_stanza(reply->root());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->condition, xmpp::StanzaCondition::ServiceUnavailable);
  // The stream is still open for SASL: nothing was lost by asking.
  EXPECT_FALSE(c->closed());
}

TEST_F(ClientTest, TwoSessionsChatAndTheStreamCloses) {
  ClientOptions options = juliet();
  options.resource = "chat";
  auto juliet_client = connect(options);
  options.username = "romeo";
  options.password = "montague";
  auto romeo = connect(options);
  ASSERT_TRUE(juliet_client->stream().ready() && romeo->stream().ready());

  ASSERT_TRUE(romeo->send_xml(
      "<message to='juliet@localhost/chat' type='chat' id='m1'><body>hi</body></message>"));
  auto message = juliet_client->next(5s);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->root().attr("from"), "romeo@localhost/chat");
  EXPECT_EQ(message->root().child("body", xmpp::ns::kClient)->text(), "hi");

  // Nothing else arrives for juliet.
  EXPECT_EQ(juliet_client->next(200ms), nullptr);

  romeo->close();
  EXPECT_TRUE(romeo->closed());
  EXPECT_EQ(romeo->failure(), "closed by the client");
}

TEST_F(ClientTest, AStreamErrorEndsTheSessionAndIsDelivered) {
  ClientOptions options = juliet();
  options.resource = "twice";
  auto first = connect(options);
  ASSERT_TRUE(first->stream().ready());
  auto second = connect(options);  // the same resource: the first one gets <conflict/>
  ASSERT_TRUE(second->stream().ready());
  auto error = first->next(5s);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(error->root().is("error", xmpp::ns::kStreams));
  EXPECT_TRUE(first->wait_closed(5s));
  EXPECT_EQ(first->failure(), "stream error: conflict");
}

// Binary XMPP (docs/binary-xmpp.md): the same negotiation in frames, every mechanism.
TEST_F(ClientTest, BinaryEveryMechanismBindsAFullJidInFrames) {
  for (Mechanism m :
       {Mechanism::ScramSha256, Mechanism::ScramSha1, Mechanism::ScramSha512, Mechanism::Plain}) {
    ClientOptions options = juliet();
    options.tls = TlsMode::DirectBinary;
    options.mechanism = m;
    options.resource = "frames";
    auto c = connect(options);
    ASSERT_TRUE(c->stream().ready()) << client::mechanism_name(m) << ": " << c->failure();
    EXPECT_TRUE(c->stream().binary());
    EXPECT_EQ(c->stream().transport()->negotiated_alpn(), tls::kAlpnXmppBinary);
    EXPECT_EQ(c->stream().jid().full(), "juliet@localhost/frames");
  }
}

// A binary session and an XML session chat both ways; the own-JID shortcut (§8.3) is in use,
// so a client that did not bind its JID would fail to decode the messages to it.
TEST_F(ClientTest, BinaryAndXmlSessionsChat) {
  ClientOptions options = juliet();
  options.tls = TlsMode::DirectBinary;
  options.resource = "bin";
  auto juliet_client = connect(options);
  ClientOptions romeo_options = juliet();
  romeo_options.username = "romeo";
  romeo_options.password = "montague";
  romeo_options.resource = "xml";
  auto romeo = connect(romeo_options);
  ASSERT_TRUE(juliet_client->stream().ready()) << juliet_client->failure();
  ASSERT_TRUE(juliet_client->stream().binary());
  ASSERT_TRUE(romeo->stream().ready()) << romeo->failure();
  ASSERT_FALSE(romeo->stream().binary());

  ASSERT_TRUE(romeo->send_xml(
      "<message to='juliet@localhost/bin' type='chat' id='x1'><body>to frames</body></message>"));
  auto to_binary = juliet_client->next(5s);
  ASSERT_NE(to_binary, nullptr) << juliet_client->failure();
  EXPECT_EQ(to_binary->root().attr("from"), "romeo@localhost/xml");
  EXPECT_EQ(to_binary->root().attr("to"), "juliet@localhost/bin");
  EXPECT_EQ(to_binary->root().child("body", xmpp::ns::kClient)->text(), "to frames");

  ASSERT_TRUE(juliet_client->send_xml(
      "<message to='romeo@localhost/xml' type='chat' id='b1'><body>from frames</body></message>"));
  auto to_xml = romeo->next(5s);
  ASSERT_NE(to_xml, nullptr) << romeo->failure();
  EXPECT_EQ(to_xml->root().attr("from"), "juliet@localhost/bin");
  EXPECT_EQ(to_xml->root().child("body", xmpp::ns::kClient)->text(), "from frames");

  juliet_client->close();
  EXPECT_TRUE(juliet_client->closed());
}

TEST_F(ClientTest, BinaryStreamErrorsArriveAsTheirCondition) {
  ClientOptions options = juliet();
  options.tls = TlsMode::DirectBinary;
  options.resource = "twice-bin";
  auto first = connect(options);
  ASSERT_TRUE(first->stream().ready()) << first->failure();
  auto second = connect(options);
  ASSERT_TRUE(second->stream().ready()) << second->failure();
  auto error = first->next(5s);
  ASSERT_NE(error, nullptr) << first->failure();
  EXPECT_TRUE(error->root().is("error", xmpp::ns::kStreams));
  EXPECT_TRUE(first->wait_closed(5s));
  EXPECT_EQ(first->failure(), "stream error: conflict");
}

// A server with binary off agrees on xmpp-client: the same client speaks XML.
TEST(ClientBinaryFallback, AServerWithoutBinaryGetsXml) {
  testing::TerndOptions no_binary;
  no_binary.settings = {"c2s.binary=false"};
  testing::Ternd server(no_binary);
  auto tls = tls::TlsContext::client(client::binary_tls_options());
  ASSERT_TRUE(tls.ok());
  ClientOptions options;
  options.username = "juliet";
  options.password = "balcony";
  options.tls = TlsMode::DirectBinary;
  BlockingClient c(options, &tls.value());
  ASSERT_TRUE(c.connect({"127.0.0.1", server.direct_tls_port}, 10s)) << c.failure();
  EXPECT_FALSE(c.stream().binary());
  EXPECT_EQ(c.stream().transport()->negotiated_alpn(), tls::kAlpnXmppClient);
  EXPECT_EQ(c.stream().jid().bare_view(), "juliet@localhost");
}

}  // namespace
}  // namespace tern
