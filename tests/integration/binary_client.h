// SPDX-License-Identifier: MIT
// A blocking binary XMPP test client (docs/binary-xmpp.md): direct TLS offering ALPN
// tern-xmpp-binary/1 before xmpp-client, the preamble, then frames through the xmpp library's
// Encoder (its direction) and Decoder (the server's). Elements are written as XML text in the
// test and encoded here; the own JID is bound when the bind result or <resumed/> arrives (§8.3).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "tls_socket.h"
#include "xmpp/base64.h"
#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/binary/xml_text.h"
#include "xmpp/namespaces.h"
#include "xmpp/sasl/scram.h"

namespace tern::testing {

class BinaryClient {
 public:
  explicit BinaryClient(std::uint16_t direct_tls_port, std::string user = "juliet",
                        std::string password = "balcony")
      : socket_(direct_tls_port), user_(std::move(user)), password_(std::move(password)) {
    socket_.start_tls({std::string(tls::kAlpnXmppBinary), std::string(tls::kAlpnXmppClient)});
  }

  TlsSocket& socket() { return socket_; }

  // Bytes as they are, with no preamble or framing (for broken input).
  void send_raw(std::string_view bytes) { socket_.send(bytes); }
  void send_preamble() {
    preamble_sent_ = true;
    socket_.send(std::string{'\xC1', '\x01'});
  }
  void open_stream() {
    xmpp::StreamHeader header;
    header.to = "localhost";
    header.version = "1.0";
    header.content_ns = xmpp::ns::kClient;
    std::string frame;
    encoder_.encode_stream_open(header, frame);
    send_frames(frame);
  }
  // One element, written as XML text in a jabber:client stream.
  void send(std::string_view xml) {
    auto item = xmpp::binary::parse_xml_item(xml);
    ASSERT_TRUE(item.ok()) << xml;
    std::string frame;
    ASSERT_TRUE(encoder_.encode(item->stanza->root(), frame).ok()) << xml;
    send_frames(frame);
  }

  // The next element frame from the server (nullptr after 5 s or at the end of the stream).
  // Stream headers are counted, a stream close frame ends the stream.
  xmpp::StanzaPtr next() {
    while (received_.empty() && !stream_closed_ && error_.empty()) {
      if (!decode_buffered() && !socket_.receive(in_)) {
        break;
      }
    }
    if (received_.empty()) {
      return nullptr;
    }
    xmpp::StanzaPtr s = std::move(received_.front());
    received_.pop_front();
    return s;
  }
  // Reads until the connection closes; true if it did within the time.
  bool wait_closed() {
    while (!socket_.closed()) {
      std::string ignored;
      if (!socket_.receive(ignored) && !socket_.closed()) {
        return false;
      }
    }
    return true;
  }

  // The server's preamble arrived (and was C1 01).
  bool preamble_received() const { return preamble_received_; }
  int headers_received() const { return headers_; }
  bool stream_closed() const { return stream_closed_; }
  // What the client failed to decode (empty: nothing).
  const std::string& decode_error() const { return error_; }
  // Bytes received and not decoded yet (for input that never became frames).
  const std::string& undecoded() const { return in_; }

  // A SCRAM-SHA-256 exchange on the current stream; returns the final element.
  xmpp::StanzaPtr scram() {
    xmpp::sasl::ScramClient client(xmpp::sasl::ScramHash::Sha256, user_, password_, {});
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
  // Preamble, header, SCRAM, restart; returns the features of the authenticated stream.
  xmpp::StanzaPtr authenticate() {
    send_preamble();
    open_stream();
    auto features = next();
    EXPECT_TRUE(features && features->root().child("mechanisms", xmpp::ns::kSasl));
    auto outcome = scram();
    EXPECT_TRUE(outcome && outcome->root().is("success", xmpp::ns::kSasl));
    open_stream();  // RFC 6120 §6.4.6: a new header frame each way
    return next();
  }
  // authenticate() and bind `resource`; returns the bind reply.
  xmpp::StanzaPtr login(std::string_view resource) {
    auto features = authenticate();
    EXPECT_TRUE(features && features->root().child("bind", xmpp::ns::kBind));
    send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         std::string(resource) + "</resource></bind></iq>");
    return next();
  }
  const std::string& full_jid() const { return full_jid_; }
  // For a resumption on a new connection: the JID bound on the old one.
  void set_full_jid(std::string jid) { full_jid_ = std::move(jid); }

 private:
  void send_frames(std::string_view frames) {
    if (!preamble_sent_) {
      send_preamble();
    }
    socket_.send(frames);
  }

  // Decodes what is buffered; false when no whole frame was there.
  bool decode_buffered() {
    std::string_view input = in_;
    std::size_t used = 0;
    if (!preamble_received_) {
      if (input.size() < 2) {
        return false;
      }
      if (input.substr(0, 2) != std::string_view("\xC1\x01", 2)) {
        error_ = "bad preamble";
        return false;
      }
      preamble_received_ = true;
      used = 2;
    }
    bool any = false;
    while (used < input.size() && !stream_closed_) {
      xmpp::binary::Frame frame;
      auto decoded = decoder_.decode(input.substr(used), frame);
      if (!decoded) {
        error_ = std::string(decoded.error().reason);
        break;
      }
      if (*decoded == 0) {
        break;
      }
      used += *decoded;
      any = true;
      on_frame(frame);
    }
    in_.erase(0, used);
    return any;
  }

  void on_frame(xmpp::binary::Frame& frame) {
    switch (frame.kind) {
      case xmpp::binary::FrameKind::StreamOpen:
        ++headers_;
        return;
      case xmpp::binary::FrameKind::StreamClose:
        stream_closed_ = true;
        return;
      case xmpp::binary::FrameKind::Keepalive:
        return;
      case xmpp::binary::FrameKind::Stanza:
        break;
    }
    const xmpp::Element& root = frame.stanza->root();
    // §8.3: the client binds its own JID right after receiving the bind result or <resumed/>.
    if (std::string_view jid = xmpp::binary::bound_jid(root); !jid.empty()) {
      full_jid_ = std::string(jid);
      bind_own_jid();
    } else if (root.is("resumed", xmpp::ns::kStreamManagement)) {
      bind_own_jid();
    }
    received_.push_back(std::move(frame.stanza));
  }
  void bind_own_jid() {
    encoder_.set_own_jid(full_jid_);
    decoder_.set_own_jid(full_jid_);
  }

  TlsSocket socket_;
  std::string user_;
  std::string password_;
  xmpp::binary::Encoder encoder_{xmpp::binary::Role::Initiator};
  xmpp::binary::Decoder decoder_{xmpp::binary::Role::Responder};
  std::string in_;
  std::deque<xmpp::StanzaPtr> received_;
  std::string full_jid_;
  std::string error_;
  int headers_ = 0;
  bool preamble_sent_ = false;
  bool preamble_received_ = false;
  bool stream_closed_ = false;
};

}  // namespace tern::testing
