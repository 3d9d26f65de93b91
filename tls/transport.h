// SPDX-License-Identifier: MIT
// Transport: what a connection puts between its socket and its XML stream. The event loop hands
// every read to on_received() and writes whatever lands in `wire_out`; the stream code hands its
// serialized bytes to send(). A transport does no I/O itself, which keeps TLS testable in memory
// and lets the loop batch writes. PlainTransport is the identity (before STARTTLS); TlsTransport
// (tls_transport.h) is TLS over OpenSSL.
//
// The calls append to caller-owned strings, so a connection can keep reusing the same buffers.
// One read may carry the end of a handshake and application data: on_received() returns both,
// the plaintext in `plaintext_out` and the transport's own bytes (handshake messages, session
// tickets, alerts) in `wire_out`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"
#include "xmpp/sasl/mechanism.h"

namespace tern::tls {

using xmpp::sasl::ChannelBindingData;

enum class TransportErrorKind : std::uint8_t {
  Handshake,  // the handshake failed (version, cipher, ALPN, certificate, garbage)
  Protocol,   // a bad record or a fatal alert after the handshake
  Closed,     // a call after the transport failed, or send() after close()
};

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::Protocol;
  std::string message;  // OpenSSL's reasons, for the log; never sent to the peer
};

// One connection's byte layer. Not thread-safe: a connection lives on one worker.
//
// After any error the transport is dead: every later call fails with Closed. When an error is
// returned, `wire_out` may hold a fatal alert: send it, then close the socket.
class Transport {
 public:
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Starts the handshake: a client appends its first flight (ClientHello) to `wire_out`; a
  // server and a plain transport append nothing.
  virtual Result<void, TransportError> start(std::string& wire_out) = 0;

  // Bytes read from the socket, in any slicing (one byte at a time works). Appends the decrypted
  // application data to `plaintext_out` and the bytes to send back to `wire_out`.
  virtual Result<void, TransportError> on_received(std::string_view wire_bytes,
                                                   std::string& plaintext_out,
                                                   std::string& wire_out) = 0;

  // Appends the protected form of `plaintext` to `wire_out`. Before the handshake completes the
  // plaintext is held and sent as soon as it does.
  virtual Result<void, TransportError> send(std::string_view plaintext, std::string& wire_out) = 0;

  // Appends the closing message (TLS close_notify) to `wire_out`; send() fails afterwards, but
  // on_received() still returns what the peer sends until it closes too. Call it when the
  // stream ends, and when peer_closed() becomes true. Idempotent.
  virtual void close(std::string& wire_out) = 0;

  // True once application data can flow (at once for a plain transport).
  virtual bool handshake_done() const = 0;
  virtual bool is_encrypted() const = 0;
  // True once the peer has closed its direction (TLS close_notify); later bytes are ignored.
  virtual bool peer_closed() const = 0;

  // Channel binding data for SCRAM-*-PLUS, once the handshake is done; empty for a plain
  // transport. In preference order: "tls-exporter" first.
  virtual std::vector<ChannelBindingData> channel_bindings() const = 0;

  // The ALPN protocol agreed (XEP-0368: "xmpp-client"); empty when none. Valid as long as the
  // transport.
  virtual std::string_view negotiated_alpn() const = 0;
  // The server name the client asked for (TLS SNI); empty when none. Valid as long as the
  // transport.
  virtual std::string_view sni() const = 0;
  // The TLS version and cipher suite agreed ("TLSv1.3", "TLS_AES_256_GCM_SHA384"), for the log;
  // empty for a plain transport. Meaningful once the handshake is done.
  virtual std::string_view protocol_version() const = 0;
  virtual std::string_view cipher() const = 0;

 protected:
  Transport() = default;
};

// Plain TCP: bytes pass through unchanged.
class PlainTransport final : public Transport {
 public:
  PlainTransport() = default;

  Result<void, TransportError> start(std::string& /*wire_out*/) override { return {}; }
  Result<void, TransportError> on_received(std::string_view wire_bytes, std::string& plaintext_out,
                                           std::string& /*wire_out*/) override {
    plaintext_out.append(wire_bytes);
    return {};
  }
  Result<void, TransportError> send(std::string_view plaintext, std::string& wire_out) override {
    if (closed_) {
      return Err(TransportError{TransportErrorKind::Closed, "send after close"});
    }
    wire_out.append(plaintext);
    return {};
  }
  void close(std::string& /*wire_out*/) override { closed_ = true; }

  bool handshake_done() const override { return true; }
  bool is_encrypted() const override { return false; }
  // A plain stream learns about the peer's end from the socket (EOF), not from bytes.
  bool peer_closed() const override { return false; }
  std::vector<ChannelBindingData> channel_bindings() const override { return {}; }
  std::string_view negotiated_alpn() const override { return {}; }
  std::string_view sni() const override { return {}; }
  std::string_view protocol_version() const override { return {}; }
  std::string_view cipher() const override { return {}; }

 private:
  bool closed_ = false;
};

}  // namespace tern::tls
