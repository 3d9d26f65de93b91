// SPDX-License-Identifier: MIT
// Internals shared by the SCRAM server, the SCRAM client and PLAIN: the OpenSSL primitives
// (digest, HMAC, PBKDF2, random bytes, constant-time comparison, wiping) and the pieces of the
// RFC 5802 §7 grammar (attributes, SASL names, UTF-8). Not part of the library's interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"
#include "xmpp/sasl/scram.h"

namespace tern::xmpp::sasl::detail {

// OpenSSL failures with valid arguments mean memory is exhausted: they throw std::bad_alloc.
std::string digest(ScramHash hash, std::string_view data);
std::string hmac(ScramHash hash, std::string_view key, std::string_view data);
std::string random_bytes(std::size_t size);
// 18 random bytes in base64: 24 printable characters without ','.
std::string random_nonce();
// Same length and same bytes, in time independent of the bytes.
bool equal_secret(std::string_view a, std::string_view b);
// Overwrites the bytes (OPENSSL_cleanse), then clears.
void wipe(std::string& secret);
// a XOR b, for equal lengths.
std::string xor_bytes(std::string_view a, std::string_view b);

// ClientKey, StoredKey and ServerKey from a password (RFC 5802 §3).
struct ScramKeys {
  std::string client_key;
  std::string stored_key;
  std::string server_key;
};
Result<ScramKeys, CredentialError> derive_keys(ScramHash hash, std::string_view password,
                                               std::string_view salt, std::uint32_t iterations);

// The fake salt for an unknown user (see SaslServerOptions::fake_salt_key).
std::string fake_salt(const SaslServerOptions& options, ScramHash hash, std::string_view username);

// Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code points past U+10FFFF.
bool valid_utf8(std::string_view text);

// RFC 5802 §5.1 saslname: non-empty UTF-8 without NUL, with ',' and '=' written "=2C" and "=3D".
std::optional<std::string> decode_saslname(std::string_view encoded);
std::string encode_saslname(std::string_view name);

// The comma-separated fields of a message (an empty message has one empty field).
std::vector<std::string_view> split_fields(std::string_view message);

// attr-val = ALPHA "=" value, value = 1*value-char (UTF-8, no NUL, no ',').
struct Attribute {
  char name;
  std::string_view value;
};
std::optional<Attribute> parse_attribute(std::string_view field);

// printable = %x21-2B / %x2D-7E, at least one: the characters of a nonce.
bool is_printable(std::string_view text);

}  // namespace tern::xmpp::sasl::detail
