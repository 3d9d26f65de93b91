// SPDX-License-Identifier: MIT
// Owning handles for the OpenSSL objects the TLS layer keeps (std::unique_ptr with the matching
// free function), and the one way it turns OpenSSL's thread-local error queue into a message.
// Internal to core/net.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace tern::tls {

template <class T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

inline void free_x509_stack(STACK_OF(X509) * chain) {
  sk_X509_pop_free(chain, X509_free);
}

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL, SSL_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509StackPtr =
    std::unique_ptr<STACK_OF(X509), OpenSslDeleter<STACK_OF(X509), free_x509_stack>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

// Drains the calling thread's OpenSSL error queue into "reason (library); reason (library)".
// `fallback` when the queue is empty.
std::string take_openssl_errors(const char* fallback = "unknown OpenSSL error");

}  // namespace tern::tls
