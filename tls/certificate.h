// SPDX-License-Identifier: MIT
// Certificates for the TLS layer: loading a virtual host's PEM certificate and key, generating
// the self-signed certificate a host gets when none is configured (so a fresh install serves TLS
// at once, and clients can pin it), and the RFC 5929 §4 certificate hash that the
// "tls-server-end-point" channel binding is made of.
//
// Generated certificates use ECDSA P-256 keys: signing is far cheaper than RSA, which matters at
// thousands of handshakes per second.
#pragma once

#include <string>
#include <string_view>

#include "tls/openssl_util.h"
#include "xmpp/result.h"

namespace tern::tls {

struct TlsError {
  std::string message;  // names the file or host and gives OpenSSL's reason
};

// What one virtual host presents: its certificate, the intermediates sent after it (possibly
// none), and its private key.
struct CertifiedKey {
  X509Ptr certificate;
  X509StackPtr chain;
  EvpPkeyPtr key;
};

// Self-signed certificates are valid this long (clients pin them rather than check dates).
inline constexpr long kSelfSignedValidityDays = 3650;

// Reads `certificate_file` (PEM: the certificate, then any intermediates) and `key_file` (PEM,
// unencrypted), and checks that they belong together.
Result<CertifiedKey, TlsError> load_certified_key(const std::string& certificate_file,
                                                  const std::string& key_file);

// A new self-signed certificate for `domain` (an ASCII name, an IPv4 literal or a bracketed IPv6
// literal): a P-256 key, SHA-256 signature, subject CN and subjectAltName the domain (DNS, or IP
// for a literal); "localhost" also gets IP 127.0.0.1 and ::1.
Result<CertifiedKey, TlsError> make_self_signed(std::string_view domain);

// The self-signed certificate of `domain` kept in `directory` as <domain>.crt and <domain>.key:
// loaded when the certificate file exists, otherwise generated and written (the key with mode
// 0600; the directory is created if needed). `generated` tells which happened.
Result<CertifiedKey, TlsError> load_or_make_self_signed(std::string_view domain,
                                                        const std::string& directory,
                                                        bool& generated);

// The paths load_or_make_self_signed() uses.
std::string self_signed_certificate_path(std::string_view domain, const std::string& directory);
std::string self_signed_key_path(std::string_view domain, const std::string& directory);

// RFC 5929 §4.1: the hash of the certificate's DER encoding, with the hash function of its
// signature algorithm, SHA-256 when that is MD5 or SHA-1. Empty when the signature algorithm has
// no single hash function (Ed25519, Ed448): the binding is then undefined.
std::string tls_server_end_point(X509* certificate);
// The SHA-256 fingerprint of `certificate` as colon-separated upper-case hex ("AB:CD:…"), what
// clients show when asked to trust a certificate; empty on failure.
std::string sha256_fingerprint(X509* certificate);

}  // namespace tern::tls
