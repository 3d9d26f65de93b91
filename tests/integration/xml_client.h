// SPDX-License-Identifier: MIT
// A blocking XML test client on TlsSocket: Tern's stream parser for input, SCRAM from the xmpp
// library, STARTTLS or direct TLS (ALPN xmpp-client), login with bind. What a standard client
// does, with every step visible to the test.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "tls_socket.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/stream_parser.h"

namespace tern::testing {

class XmlClient : public xmpp::StreamSink {
 public:
  explicit XmlClient(std::uint16_t port, bool direct_tls = false, std::string user = "juliet",
                     std::string password = "balcony")
      : socket_(port), parser_(*this), user_(std::move(user)), password_(std::move(password)) {
    if (direct_tls) {
      socket_.start_tls({std::string(tls::kAlpnXmppClient)});
    }
  }

  void on_stream_open(const xmpp::StreamHeader& /*header*/) override {}
  void on_stanza(xmpp::StanzaPtr s) override { received_.push_back(std::move(s)); }
  void on_stream_close() override { closed_ = true; }
  void on_stream_error(const xmpp::StreamError& /*error*/) override { closed_ = true; }

  void send(std::string_view xml) { socket_.send(xml); }
  void open_stream() {
    parser_.reset();
    send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");
  }
  // The next top-level element from the server (nullptr after 5 s or at the end of the stream).
  xmpp::StanzaPtr next() {
    while (received_.empty() && !closed_) {
      std::string plaintext;
      if (!socket_.receive(plaintext)) {
        break;
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
  void start_tls() { socket_.start_tls(); }
  // Plain stream → STARTTLS → encrypted stream; returns the encrypted stream's features.
  xmpp::StanzaPtr negotiate_tls() {
    open_stream();
    next();  // features with starttls
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto proceed = next();
    EXPECT_TRUE(proceed && proceed->root().is("proceed", xmpp::ns::kTls));
    start_tls();
    open_stream();
    return next();
  }
  tls::TlsTransport* tls() { return socket_.tls(); }

  // A SCRAM exchange; returns the final element (success or failure).
  xmpp::StanzaPtr scram(xmpp::sasl::ScramHash hash,
                        std::optional<xmpp::sasl::ChannelBindingData> binding) {
    xmpp::sasl::ScramClientOptions options;
    options.channel_binding = std::move(binding);
    xmpp::sasl::ScramClient client(hash, user_, password_, options);
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" +
         std::string(client.mechanism_name()) + "'>" +
         xmpp::base64_encode(client.client_first().value()) + "</auth>");
    auto challenge = next();
    if (!challenge || !challenge->root().is("challenge", xmpp::ns::kSasl)) {
      return challenge;
    }
    auto final_message = client.client_final(*xmpp::base64_decode(challenge->root().text()));
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
         xmpp::base64_encode(final_message.value()) + "</response>");
    auto outcome = next();
    if (outcome && outcome->root().is("success", xmpp::ns::kSasl)) {
      EXPECT_TRUE(client.verify_server_final(*xmpp::base64_decode(outcome->root().text())).ok());
    }
    return outcome;
  }
  // Authenticates (after STARTTLS unless the client is on direct TLS), restarts and binds
  // `resource`; returns the bind reply.
  xmpp::StanzaPtr login(std::string_view resource, bool direct_tls = false) {
    if (direct_tls) {
      open_stream();
      next();  // features with the mechanisms
    } else {
      negotiate_tls();
    }
    auto outcome = scram(xmpp::sasl::ScramHash::Sha256, std::nullopt);
    EXPECT_TRUE(outcome && outcome->root().is("success", xmpp::ns::kSasl));
    open_stream();
    auto features = next();  // bind, and the server's XEP-0115 capabilities
    EXPECT_TRUE(features && features->root().child("bind", xmpp::ns::kBind) &&
                features->root().child("c", xmpp::ns::kCaps) &&
                !features->root().child("c", xmpp::ns::kCaps)->attr("ver").empty());
    send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         std::string(resource) + "</resource></bind></iq>");
    return next();
  }

 private:
  TlsSocket socket_;
  xmpp::StreamParser parser_;
  std::string user_;
  std::string password_;
  std::deque<xmpp::StanzaPtr> received_;
  bool closed_ = false;
};

}  // namespace tern::testing
