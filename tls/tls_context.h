// SPDX-License-Identifier: MIT
// TlsContext: the TLS settings shared by many connections, one OpenSSL SSL_CTX. The server has
// one for all its virtual hosts and worker threads (an SSL_CTX is safe to share once set up):
// TLS 1.2 at least, ECDHE with AEAD ciphers only, the server's cipher order, no compression, no
// renegotiation, stateless session tickets, released buffers on idle connections, ALPN
// "xmpp-client" (XEP-0368) or, on direct TLS, "tern-xmpp-binary/1" (docs/binary-xmpp.md §2.1),
// and the certificate chosen by SNI. Clients (the test suite, the
// conformance runner, the load generator) get one from client(), which by default does not
// verify the server, as they talk to test servers with self-signed certificates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tls/certificate.h"
#include "tls/host_certificate.h"
#include "tls/openssl_util.h"
#include "xmpp/result.h"

namespace tern::tls {

// XEP-0368: the ALPN protocol of client-to-server XMPP over direct TLS.
inline constexpr std::string_view kAlpnXmppClient = "xmpp-client";
// docs/binary-xmpp.md §2.1: Tern binary XMPP, offered by binary-capable clients before
// xmpp-client on direct TLS.
inline constexpr std::string_view kAlpnXmppBinary = "tern-xmpp-binary/1";
// RFC 7301: HTTP/1.1, the only HTTP the HTTP service speaks.
inline constexpr std::string_view kAlpnHttp11 = "http/1.1";

// What ALPN may agree on for one server connection.
enum class ServerAlpn : std::uint8_t {
  XmppClient,          // STARTTLS: the stream is XML whatever the client offers
  XmppClientOrBinary,  // direct TLS: binary when offered and the context allows it
  Http,                // the HTTP service: http/1.1 (a client offering only h2 is refused)
};

// The protocol a server picks from a client's ALPN list (RFC 7301 §3.1 wire format: each name
// prefixed by its length): kAlpnXmppBinary when `binary` and offered, else kAlpnXmppClient when
// offered, else empty (the handshake then fails with no_application_protocol, RFC 7301 §3.2).
// A malformed list picks nothing. The result points into `offered`.
std::string_view select_alpn_protocol(std::string_view offered, bool binary);
// The same for the HTTP service: kAlpnHttp11 when offered, else empty.
std::string_view select_http_alpn(std::string_view offered);

// A virtual host's certificate as the server uses it, for logging at start-up.
struct TlsHostInfo {
  std::string domain;
  std::string certificate_file;
  std::string key_file;
  bool generated = false;    // a self-signed certificate made during this start
  bool self_signed = false;  // kept under the store (no certificate configured)
  std::string fingerprint;   // SHA-256, "AB:CD:…"
};

struct TlsClientOptions {
  // The protocol to offer with ALPN (kAlpnXmppClient for direct TLS); empty: no ALPN.
  std::string alpn;
  // PEM file of the certificates to trust (a CA, or the server's own self-signed certificate):
  // the server's chain and name are then verified. Empty: the server is not verified, unless
  // system_trust is set.
  std::string trust_file;
  // Verify against the system's trust store (the HTTP client of push and SMS gateways); with a
  // trust_file too, both are trusted.
  bool system_trust = false;
  // Protocols offered before `alpn`, preferred first: {kAlpnXmppBinary} for a binary-capable
  // client (docs/binary-xmpp.md §2.1).
  std::vector<std::string> preferred_alpn = {};
};

class TlsContext {
 public:
  // The server context: one certificate per host, loaded from its PEM files or, when a host has
  // none configured, the self-signed one kept under <storage_path>/certs (generated on first
  // start). A client whose SNI names no host gets the first host's certificate. Fails with the
  // host, the file and OpenSSL's reason. `binary`: whether direct TLS connections may agree on
  // kAlpnXmppBinary (configuration c2s.binary).
  static Result<TlsContext, TlsError> server(const std::vector<HostCertificate>& hosts,
                                             const std::string& storage_path, bool binary = true);
  // A client context (see TlsClientOptions).
  static Result<TlsContext, TlsError> client(const TlsClientOptions& options);

  TlsContext(TlsContext&&) noexcept;
  TlsContext& operator=(TlsContext&&) noexcept;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  bool is_server() const { return server_; }
  // Client contexts: whether the server's certificate is verified.
  bool verifies_peer() const { return verify_; }
  // Server contexts: the hosts in configuration order.
  const std::vector<TlsHostInfo>& hosts() const;

  // Marks a server connection's SSL with what its ALPN may agree on (TlsTransport::server).
  static void set_server_alpn(SSL* ssl, ServerAlpn alpn);

  // The SSL_CTX, for TlsTransport and for tests that need a setting this class does not offer.
  // The context must outlive every transport made from it (the SNI callback reads its hosts).
  SSL_CTX* native() const { return ctx_.get(); }

  struct Hosts;  // defined in tls_context.cpp

 private:
  TlsContext(SslCtxPtr ctx, std::unique_ptr<Hosts> hosts, bool server, bool verify);

  SslCtxPtr ctx_;
  std::unique_ptr<Hosts> hosts_;  // on the heap: the SNI callback keeps its address
  bool server_ = false;
  bool verify_ = false;
};

}  // namespace tern::tls
