// SPDX-License-Identifier: MIT
// TlsTransport: TLS for one connection, over one OpenSSL SSL object and no socket. Received bytes
// drive the handshake and are decrypted; plaintext is encrypted; everything OpenSSL wants to send
// is appended to the caller's `wire_out`. After the handshake it gives the channel binding data
// SCRAM-*-PLUS needs: "tls-exporter" (RFC 9266) and "tls-server-end-point" (RFC 5929).
//
// OpenSSL reads and writes through a BIO that works on the caller's buffers: reads come straight
// from the `wire_bytes` of the current call and writes go straight into its `wire_out`. This is a
// memory BIO without its buffer: nothing is copied twice and an idle connection holds no byte
// buffers at all (with SSL_MODE_RELEASE_BUFFERS, OpenSSL frees its own too), which matters at
// millions of connections. OpenSSL keeps an unfinished record itself, so any slicing of the input
// works.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/openssl_util.h"
#include "tls/tls_context.h"
#include "tls/transport.h"
#include "xmpp/result.h"

namespace tern::tls {

namespace detail {
// The buffers of the call in progress, which the BIO reads from and writes to.
struct WireBuffers {
  std::string_view input;
  std::string* output = nullptr;
};
}  // namespace detail

class TlsTransport final : public Transport {
 public:
  // The server side of a connection, on a server context; `alpn` says whether it may agree on
  // binary XMPP (direct TLS) or only on xmpp-client (STARTTLS).
  static Result<std::unique_ptr<TlsTransport>, TransportError> server(
      const TlsContext& context, ServerAlpn alpn = ServerAlpn::XmppClient);
  // The client side, on a client context. `server_name` is sent as SNI (unless it is an IP
  // literal or empty) and, when the context verifies, checked against the certificate.
  static Result<std::unique_ptr<TlsTransport>, TransportError> client(const TlsContext& context,
                                                                      std::string_view server_name);

  Result<void, TransportError> start(std::string& wire_out) override;
  Result<void, TransportError> on_received(std::string_view wire_bytes, std::string& plaintext_out,
                                           std::string& wire_out) override;
  Result<void, TransportError> send(std::string_view plaintext, std::string& wire_out) override;
  void close(std::string& wire_out) override;

  bool handshake_done() const override { return handshake_done_; }
  bool is_encrypted() const override { return true; }
  bool peer_closed() const override { return peer_closed_; }
  std::vector<ChannelBindingData> channel_bindings() const override;
  std::string_view negotiated_alpn() const override;
  std::string_view sni() const override;

  // "TLSv1.3", "TLSv1.2"; meaningful once the handshake is done.
  std::string_view protocol_version() const override;
  // The cipher suite's OpenSSL name ("TLS_AES_256_GCM_SHA384").
  std::string_view cipher() const override;
  // For tests and diagnostics.
  SSL* native() const { return ssl_.get(); }

 private:
  explicit TlsTransport(SslPtr ssl);

  class CallScope;
  // Runs the handshake as far as the input allows; then sends what send() held back.
  Result<void, TransportError> advance_handshake();
  Result<void, TransportError> write(std::string_view plaintext);
  Result<void, TransportError> fail(TransportErrorKind kind, int ssl_result);
  Result<void, TransportError> dead() const;

  SslPtr ssl_;
  detail::WireBuffers wire_;
  std::string held_;  // plaintext given to send() before the handshake completed
  bool handshake_done_ = false;
  bool failed_ = false;
  bool closed_ = false;
  bool peer_closed_ = false;
};

}  // namespace tern::tls
