// SPDX-License-Identifier: MIT
// Server and client SSL_CTX set-up, and the SNI and ALPN callbacks (see tls_context.h).
#include "tls/tls_context.h"

#include <openssl/err.h>

#include <utility>

namespace tern::tls {

struct TlsContext::Hosts {
  std::vector<TlsHostInfo> info;
  std::vector<CertifiedKey> keys;  // parallel to info
  bool binary = false;             // direct TLS may agree on kAlpnXmppBinary
};

namespace {

// TLS 1.2: forward secrecy and AEAD only, ECDSA before RSA, AES-128 first (fast, and strong
// enough). TLS 1.3 suites are all AEAD and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Key exchange groups, cheapest first.
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr std::string_view kSessionIdContext = "tern-c2s";

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool use_certified_key(SSL* ssl, const CertifiedKey& material) {
  return SSL_use_cert_and_key(ssl, material.certificate.get(), material.key.get(),
                              material.chain.get(), 1) == 1;
}

// SNI: the first host's certificate is the context's; another host's replaces it on the SSL.
int select_certificate(SSL* ssl, int* alert, void* arg) {
  const auto* hosts = static_cast<const TlsContext::Hosts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  for (std::size_t i = 0; i < hosts->info.size(); ++i) {
    if (!same_name(name, hosts->info[i].domain)) {
      continue;
    }
    if (i > 0) {
      SSL_certs_clear(ssl);  // or the first host's certificate could still be chosen
      if (!use_certified_key(ssl, hosts->keys[i])) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
      }
    }
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;  // unknown name: the first host's certificate
}

// The SSL ex_data slot holding a connection's ServerAlpn (absent: XmppClient). One index for the
// process, taken on first use.
int server_alpn_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// ALPN: select_alpn_protocol() or a fatal no_application_protocol alert (RFC 7301 §3.2). A
// client that sends no ALPN is accepted without this callback being called, and speaks XML.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_size,
                const unsigned char* in, unsigned int in_size, void* arg) {
  const auto* hosts = static_cast<const TlsContext::Hosts*>(arg);
  const auto* marker = static_cast<const ServerAlpn*>(SSL_get_ex_data(ssl, server_alpn_index()));
  const std::string_view offered(reinterpret_cast<const char*>(in), in_size);
  const std::string_view chosen =
      marker != nullptr && *marker == ServerAlpn::Http
          ? select_http_alpn(offered)
          : select_alpn_protocol(offered, hosts->binary && marker != nullptr &&
                                              *marker == ServerAlpn::XmppClientOrBinary);
  if (chosen.empty()) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = reinterpret_cast<const unsigned char*>(chosen.data());
  *out_size = static_cast<unsigned char>(chosen.size());
  return SSL_TLSEXT_ERR_OK;
}

// Settings both sides share.
bool set_common_options(SSL_CTX* ctx) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Idle connections give their read and write buffers back (~34 KiB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
  return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
         SSL_CTX_set1_groups_list(ctx, kGroups) == 1;
}

Result<CertifiedKey, TlsError> host_certificate(const HostCertificate& host,
                                                const std::string& storage_path,
                                                TlsHostInfo& info) {
  info.domain = host.domain;
  if (!host.certificate.empty() || !host.key.empty()) {
    info.certificate_file = host.certificate;
    info.key_file = host.key;
    return load_certified_key(host.certificate, host.key);
  }
  const std::string directory = storage_path + "/certs";
  info.certificate_file = self_signed_certificate_path(host.domain, directory);
  info.key_file = self_signed_key_path(host.domain, directory);
  info.self_signed = true;
  return load_or_make_self_signed(host.domain, directory, info.generated);
}

}  // namespace

std::string_view select_alpn_protocol(std::string_view offered, bool binary) {
  std::string_view xmpp_client;
  std::size_t i = 0;
  while (i < offered.size()) {
    const std::size_t size = static_cast<unsigned char>(offered[i]);
    if (size == 0 || size > offered.size() - i - 1) {
      return {};  // RFC 7301 §3.1: names are non-empty, the list exactly fills the extension
    }
    const std::string_view protocol = offered.substr(i + 1, size);
    if (binary && protocol == kAlpnXmppBinary) {
      return protocol;  // the client's list order does not matter: it offered both on purpose
    }
    if (protocol == kAlpnXmppClient) {
      xmpp_client = protocol;
    }
    i += 1 + size;
  }
  return xmpp_client;
}

std::string_view select_http_alpn(std::string_view offered) {
  std::size_t i = 0;
  while (i < offered.size()) {
    const std::size_t size = static_cast<unsigned char>(offered[i]);
    if (size == 0 || size > offered.size() - i - 1) {
      return {};
    }
    const std::string_view protocol = offered.substr(i + 1, size);
    if (protocol == kAlpnHttp11) {
      return protocol;
    }
    i += 1 + size;
  }
  return {};
}

void TlsContext::set_server_alpn(SSL* ssl, ServerAlpn alpn) {
  // The ex_data points at a constant naming the kind; nothing is owned.
  static constexpr ServerAlpn kBinary = ServerAlpn::XmppClientOrBinary;
  static constexpr ServerAlpn kHttp = ServerAlpn::Http;
  const ServerAlpn* marker = alpn == ServerAlpn::XmppClientOrBinary ? &kBinary
                             : alpn == ServerAlpn::Http             ? &kHttp
                                                                    : nullptr;
  SSL_set_ex_data(ssl, server_alpn_index(), const_cast<ServerAlpn*>(marker));
}

TlsContext::TlsContext(SslCtxPtr ctx, std::unique_ptr<Hosts> hosts, bool server, bool verify)
    : ctx_(std::move(ctx)), hosts_(std::move(hosts)), server_(server), verify_(verify) {}
TlsContext::TlsContext(TlsContext&&) noexcept = default;
TlsContext& TlsContext::operator=(TlsContext&&) noexcept = default;
TlsContext::~TlsContext() = default;

const std::vector<TlsHostInfo>& TlsContext::hosts() const {
  static const std::vector<TlsHostInfo> kNone;
  return hosts_ ? hosts_->info : kNone;
}

Result<TlsContext, TlsError> TlsContext::server(const std::vector<HostCertificate>& hosts,
                                                const std::string& storage_path, bool binary) {
  if (hosts.empty()) {
    return Err(TlsError{"no virtual host configured"});
  }
  auto table = std::make_unique<Hosts>();
  table->binary = binary;
  for (const HostCertificate& host : hosts) {
    TlsHostInfo info;
    auto material = host_certificate(host, storage_path, info);
    if (!material.ok()) {
      return Err(TlsError{"host " + host.domain + ": " + material.error().message});
    }
    info.fingerprint = sha256_fingerprint(material->certificate.get());
    table->info.push_back(std::move(info));
    table->keys.push_back(std::move(material).value());
  }

  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || !set_common_options(ctx.get()) ||
      SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1 ||
      SSL_CTX_set_session_id_context(
          ctx.get(), reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
          static_cast<unsigned int>(kSessionIdContext.size())) != 1 ||
      SSL_CTX_set_num_tickets(ctx.get(), 1) != 1) {
    return Err(TlsError{"cannot set up the TLS server context: " + take_openssl_errors()});
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Resumption through stateless tickets only: no session cache shared (and locked) by workers.
  SSL_CTX_clear_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, table.get());
  SSL_CTX_set_tlsext_servername_callback(ctx.get(), select_certificate);
  SSL_CTX_set_tlsext_servername_arg(ctx.get(), table.get());

  const CertifiedKey& first = table->keys.front();
  if (SSL_CTX_use_cert_and_key(ctx.get(), first.certificate.get(), first.key.get(),
                               first.chain.get(), 1) != 1) {
    return Err(TlsError{"host " + table->info.front().domain + ": certificate " +
                        table->info.front().certificate_file +
                        " refused: " + take_openssl_errors()});
  }
  // The other hosts' certificates are installed during handshakes; check now that OpenSSL
  // accepts them (key size and signature against the security level).
  SslPtr probe(SSL_new(ctx.get()));
  for (std::size_t i = 1; i < table->keys.size(); ++i) {
    if (!probe || !use_certified_key(probe.get(), table->keys[i])) {
      return Err(TlsError{"host " + table->info[i].domain + ": certificate " +
                          table->info[i].certificate_file + " refused: " + take_openssl_errors()});
    }
  }
  return TlsContext(std::move(ctx), std::move(table), true, false);
}

Result<TlsContext, TlsError> TlsContext::client(const TlsClientOptions& options) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx || !set_common_options(ctx.get())) {
    return Err(TlsError{"cannot set up the TLS client context: " + take_openssl_errors()});
  }
  std::vector<std::string> offered = options.preferred_alpn;
  if (!options.alpn.empty()) {
    offered.push_back(options.alpn);
  }
  if (!offered.empty()) {
    std::string wire;  // RFC 7301 §3.1: each name prefixed by its length
    for (const std::string& protocol : offered) {
      if (protocol.empty() || protocol.size() > 255) {
        return Err(TlsError{"ALPN protocol names must have 1 to 255 bytes"});
      }
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    // Returns 0 on success, unlike most of OpenSSL.
    if (SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0) {
      return Err(TlsError{"cannot set ALPN: " + take_openssl_errors()});
    }
  }
  const bool verify = !options.trust_file.empty() || options.system_trust;
  if (!options.trust_file.empty() &&
      SSL_CTX_load_verify_locations(ctx.get(), options.trust_file.c_str(), nullptr) != 1) {
    return Err(TlsError{"trust file " + options.trust_file + ": " + take_openssl_errors()});
  }
  if (options.system_trust && SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return Err(TlsError{"the system's trust store: " + take_openssl_errors()});
  }
  if (verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  return TlsContext(std::move(ctx), nullptr, false, verify);
}

}  // namespace tern::tls
