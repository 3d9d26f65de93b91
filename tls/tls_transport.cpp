// SPDX-License-Identifier: MIT
// TlsTransport: the BIO over the caller's buffers, the handshake, records both ways, closing,
// and channel binding (see tls_transport.h).
#include "tls/tls_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <utility>

#include "tls/certificate.h"

namespace tern::tls {
namespace {

// The most plaintext one TLS record carries: the unit SSL_read hands out.
constexpr std::size_t kReadChunk = 16384;
// RFC 9266 §2.
constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";
constexpr std::size_t kExporterBytes = 32;

detail::WireBuffers* buffers_of(BIO* bio) {
  return static_cast<detail::WireBuffers*>(BIO_get_data(bio));
}

// Appends to the current call's wire_out. noexcept: running out of memory here ends the process
// (an exception cannot cross OpenSSL's C frames).
int wire_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) noexcept {
  BIO_clear_retry_flags(bio);
  detail::WireBuffers* wire = buffers_of(bio);
  if (wire == nullptr || wire->output == nullptr) {
    *written = 0;
    BIO_set_retry_write(bio);
    return 0;
  }
  wire->output->append(data, size);
  *written = size;
  return 1;
}

// Takes from the current call's input; when it is used up, asks OpenSSL to retry later (it then
// reports SSL_ERROR_WANT_READ and keeps any partial record).
int wire_read(BIO* bio, char* data, std::size_t size, std::size_t* read) noexcept {
  BIO_clear_retry_flags(bio);
  detail::WireBuffers* wire = buffers_of(bio);
  if (wire == nullptr || wire->input.empty()) {
    *read = 0;
    BIO_set_retry_read(bio);
    return 0;
  }
  const std::size_t n = std::min(size, wire->input.size());
  wire->input.copy(data, n);
  wire->input.remove_prefix(n);
  *read = n;
  return 1;
}

long wire_ctrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) noexcept {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING: {
      const detail::WireBuffers* wire = buffers_of(bio);
      return wire == nullptr ? 0 : static_cast<long>(wire->input.size());
    }
    default:
      return 0;
  }
}

int wire_create(BIO* bio) noexcept {
  BIO_set_init(bio, 1);
  return 1;
}

using BioMethodPtr = std::unique_ptr<BIO_METHOD, OpenSslDeleter<BIO_METHOD, BIO_meth_free>>;

const BIO_METHOD* wire_method() {
  static const BioMethodPtr method = [] {
    BioMethodPtr m(BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tern wire"));
    if (m && (BIO_meth_set_write_ex(m.get(), wire_write) != 1 ||
              BIO_meth_set_read_ex(m.get(), wire_read) != 1 ||
              BIO_meth_set_ctrl(m.get(), wire_ctrl) != 1 ||
              BIO_meth_set_create(m.get(), wire_create) != 1)) {
      m.reset();
    }
    return m;
  }();
  return method.get();
}

bool is_ip_literal(const std::string& name) {
  in6_addr address{};
  return inet_pton(AF_INET, name.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), &address) == 1;
}

TransportError setup_error(std::string message) {
  return TransportError{TransportErrorKind::Handshake, std::move(message)};
}

// A new SSL on `context`, reading and writing through a wire BIO (one BIO both ways).
Result<SslPtr, TransportError> new_ssl(const TlsContext& context) {
  ERR_clear_error();
  SslPtr ssl(SSL_new(context.native()));
  BIO* bio = wire_method() == nullptr ? nullptr : BIO_new(wire_method());
  if (!ssl || bio == nullptr) {
    BIO_free(bio);
    return Err(setup_error("cannot create a TLS connection: " + take_openssl_errors()));
  }
  SSL_set_bio(ssl.get(), bio, bio);  // the SSL owns the BIO
  return ssl;
}

}  // namespace

// Points the BIO at one call's buffers, and starts the call with an empty error queue so that
// SSL_get_error() sees only this call's errors.
class TlsTransport::CallScope {
 public:
  CallScope(TlsTransport& transport, std::string_view input, std::string& output)
      : wire_(transport.wire_) {
    wire_.input = input;
    wire_.output = &output;
    ERR_clear_error();
  }
  ~CallScope() {
    wire_.input = {};
    wire_.output = nullptr;
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  detail::WireBuffers& wire_;
};

TlsTransport::TlsTransport(SslPtr ssl) : ssl_(std::move(ssl)) {
  BIO_set_data(SSL_get_rbio(ssl_.get()), &wire_);
}

Result<std::unique_ptr<TlsTransport>, TransportError> TlsTransport::server(
    const TlsContext& context, ServerAlpn alpn) {
  if (!context.is_server()) {
    return Err(setup_error("TlsTransport::server needs a server context"));
  }
  auto ssl = new_ssl(context);
  if (!ssl.ok()) {
    return Err(ssl.error());
  }
  SSL_set_accept_state(ssl->get());
  TlsContext::set_server_alpn(ssl->get(), alpn);
  return std::unique_ptr<TlsTransport>(new TlsTransport(std::move(ssl).value()));
}

Result<std::unique_ptr<TlsTransport>, TransportError> TlsTransport::client(
    const TlsContext& context, std::string_view server_name) {
  if (context.is_server()) {
    return Err(setup_error("TlsTransport::client needs a client context"));
  }
  auto ssl = new_ssl(context);
  if (!ssl.ok()) {
    return Err(ssl.error());
  }
  SSL* s = ssl->get();
  SSL_set_connect_state(s);
  const std::string name(server_name);
  bool ok = true;
  if (name.empty()) {
    // no SNI, and only the chain is verified
  } else if (is_ip_literal(name)) {  // RFC 6066 §3: no IP literals in SNI
    ok = !context.verifies_peer() ||
         X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), name.c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(s, name.c_str()) == 1 &&
         (!context.verifies_peer() || SSL_set1_host(s, name.c_str()) == 1);
  }
  if (!ok) {
    return Err(setup_error("bad server name '" + name + "': " + take_openssl_errors()));
  }
  return std::unique_ptr<TlsTransport>(new TlsTransport(std::move(ssl).value()));
}

Result<void, TransportError> TlsTransport::start(std::string& wire_out) {
  if (failed_) {
    return dead();
  }
  if (handshake_done_ || SSL_is_server(ssl_.get()) == 1) {
    return {};
  }
  CallScope scope(*this, {}, wire_out);
  return advance_handshake();
}

Result<void, TransportError> TlsTransport::on_received(std::string_view wire_bytes,
                                                       std::string& plaintext_out,
                                                       std::string& wire_out) {
  if (failed_) {
    return dead();
  }
  if (peer_closed_) {
    return {};
  }
  CallScope scope(*this, wire_bytes, wire_out);
  if (!handshake_done_) {
    auto advanced = advance_handshake();
    if (!advanced.ok() || !handshake_done_) {
      return advanced;
    }
  }
  // Whatever follows the handshake in this read is records: decrypt them all, a record at a
  // time, straight into the caller's buffer. Plaintext is never longer than its ciphertext, so
  // unless OpenSSL holds bytes from an earlier read, the rest of the input bounds what to make
  // room for (a small stanza does not cost a 16 KiB resize).
  for (;;) {
    const std::size_t room =
        SSL_has_pending(ssl_.get()) == 1 ? kReadChunk : std::min(kReadChunk, wire_.input.size());
    if (room == 0) {
      return {};  // all input consumed, nothing buffered
    }
    const std::size_t size = plaintext_out.size();
    plaintext_out.resize(size + room);
    std::size_t n = 0;
    const int result = SSL_read_ex(ssl_.get(), plaintext_out.data() + size, room, &n);
    plaintext_out.resize(size + n);
    if (result == 1) {
      continue;
    }
    switch (SSL_get_error(ssl_.get(), result)) {
      case SSL_ERROR_WANT_READ:
        return {};
      case SSL_ERROR_ZERO_RETURN:  // close_notify
        peer_closed_ = true;
        return {};
      default:
        return fail(TransportErrorKind::Protocol, result);
    }
  }
}

Result<void, TransportError> TlsTransport::send(std::string_view plaintext, std::string& wire_out) {
  if (failed_) {
    return dead();
  }
  if (closed_) {
    return Err(TransportError{TransportErrorKind::Closed, "send after close"});
  }
  if (plaintext.empty()) {
    return {};
  }
  if (!handshake_done_) {
    held_.append(plaintext);
    return {};
  }
  CallScope scope(*this, {}, wire_out);
  return write(plaintext);
}

void TlsTransport::close(std::string& wire_out) {
  if (closed_ || failed_) {
    return;
  }
  closed_ = true;
  std::string().swap(held_);
  if (!handshake_done_) {
    return;  // nothing to protect yet: the socket just closes
  }
  CallScope scope(*this, {}, wire_out);
  (void)SSL_shutdown(ssl_.get());  // 0: our close_notify is out, the peer's is still to come
  ERR_clear_error();
}

Result<void, TransportError> TlsTransport::advance_handshake() {
  const int result = SSL_do_handshake(ssl_.get());
  if (result != 1) {
    if (SSL_get_error(ssl_.get(), result) == SSL_ERROR_WANT_READ) {
      return {};
    }
    return fail(TransportErrorKind::Handshake, result);
  }
  handshake_done_ = true;
  if (held_.empty()) {
    return {};
  }
  std::string held;
  held.swap(held_);
  return write(held);
}

Result<void, TransportError> TlsTransport::write(std::string_view plaintext) {
  std::size_t written = 0;
  // The BIO never refuses bytes, so without SSL_MODE_ENABLE_PARTIAL_WRITE this writes it all.
  const int result = SSL_write_ex(ssl_.get(), plaintext.data(), plaintext.size(), &written);
  if (result == 1) {
    return {};
  }
  return fail(TransportErrorKind::Protocol, result);
}

Result<void, TransportError> TlsTransport::fail(TransportErrorKind kind, int ssl_result) {
  const int error = SSL_get_error(ssl_.get(), ssl_result);
  std::string message;
  if (error == SSL_ERROR_SSL) {
    message = take_openssl_errors();
    const long verified = SSL_get_verify_result(ssl_.get());
    if (SSL_is_server(ssl_.get()) == 0 && verified != X509_V_OK) {
      message += ": ";
      message += X509_verify_cert_error_string(verified);
    }
  } else {
    message = "TLS failure (SSL_get_error " + std::to_string(error) + ")";
    ERR_clear_error();
  }
  failed_ = true;
  std::string().swap(held_);
  return Err(TransportError{kind, std::move(message)});
}

Result<void, TransportError> TlsTransport::dead() const {
  return Err(TransportError{TransportErrorKind::Closed, "the TLS connection has failed"});
}

std::vector<ChannelBindingData> TlsTransport::channel_bindings() const {
  std::vector<ChannelBindingData> bindings;
  if (!handshake_done_ || failed_) {
    return bindings;
  }
  SSL* ssl = ssl_.get();
  // RFC 9266 §1: with TLS 1.2 the exporter is only unique to the connection with the extended
  // master secret (RFC 7627). No context (not a zero-length one): for TLS 1.3 they are the same,
  // and for TLS 1.2 this is what other implementations (Go, fast_tls) export.
  const int version = SSL_version(ssl);
  if (version == TLS1_3_VERSION || (version == TLS1_2_VERSION && SSL_get_extms_support(ssl) == 1)) {
    std::string ekm(kExporterBytes, '\0');
    if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(ekm.data()), ekm.size(),
                                   kExporterLabel.data(), kExporterLabel.size(), nullptr, 0,
                                   0) == 1) {
      bindings.push_back(ChannelBindingData{"tls-exporter", std::move(ekm)});
    }
  }
  X509* certificate =
      SSL_is_server(ssl) == 1 ? SSL_get_certificate(ssl) : SSL_get0_peer_certificate(ssl);
  std::string hash = tls_server_end_point(certificate);
  if (!hash.empty()) {
    bindings.push_back(ChannelBindingData{"tls-server-end-point", std::move(hash)});
  }
  ERR_clear_error();
  return bindings;
}

std::string_view TlsTransport::negotiated_alpn() const {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &size);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), size);
}

std::string_view TlsTransport::sni() const {
  const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  if (name == nullptr && SSL_get_session(ssl_.get()) != nullptr) {
    name = SSL_SESSION_get0_hostname(SSL_get_session(ssl_.get()));  // resumed TLS 1.3 sessions
  }
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string_view TlsTransport::protocol_version() const {
  return SSL_get_version(ssl_.get());
}

std::string_view TlsTransport::cipher() const {
  const char* name = SSL_get_cipher_name(ssl_.get());
  return name == nullptr ? std::string_view() : std::string_view(name);
}

}  // namespace tern::tls
