// SPDX-License-Identifier: MIT
// SCRAM names, credential derivation, and the shared internals of scram_detail.h. The messages
// are handled in scram_server.cpp and scram_client.cpp.
#include "xmpp/sasl/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <new>
#include <utility>

#include "xmpp/base64.h"
#include "xmpp/precis/jid_prep.h"
#include "xmpp/sasl/scram_detail.h"

namespace tern::xmpp::sasl {
namespace {

constexpr std::array<ScramMechanismId, 6> kMechanisms = {{
    {ScramHash::Sha1, false},
    {ScramHash::Sha1, true},
    {ScramHash::Sha256, false},
    {ScramHash::Sha256, true},
    {ScramHash::Sha512, false},
    {ScramHash::Sha512, true},
}};
constexpr std::array<std::string_view, 6> kMechanismNames = {
    "SCRAM-SHA-1",        "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512",    "SCRAM-SHA-512-PLUS",
};

const EVP_MD* evp_md(ScramHash hash) {
  switch (hash) {
    case ScramHash::Sha1:
      return EVP_sha1();
    case ScramHash::Sha256:
      return EVP_sha256();
    case ScramHash::Sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

const char* evp_md_name(ScramHash hash) {
  switch (hash) {
    case ScramHash::Sha1:
      return "SHA1";
    case ScramHash::Sha256:
      return "SHA256";
    case ScramHash::Sha512:
      return "SHA512";
  }
  return "SHA256";
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

[[noreturn]] void crypto_failure() {
  throw std::bad_alloc();
}

// The fallback key for fake salts: random, fixed for the life of the process.
const std::string& process_fake_salt_key() {
  static const std::string key = detail::random_bytes(32);
  return key;
}

}  // namespace

std::string_view scram_mechanism_name(ScramHash hash, bool plus) {
  for (std::size_t i = 0; i < kMechanisms.size(); ++i) {
    if (kMechanisms[i].hash == hash && kMechanisms[i].plus == plus) {
      return kMechanismNames[i];
    }
  }
  return {};
}

std::optional<ScramMechanismId> parse_scram_mechanism_name(std::string_view name) {
  for (std::size_t i = 0; i < kMechanisms.size(); ++i) {
    if (kMechanismNames[i] == name) {
      return kMechanisms[i];
    }
  }
  return std::nullopt;
}

std::string_view describe(CredentialError error) {
  switch (error) {
    case CredentialError::PasswordEmpty:
      return "the password is empty";
    case CredentialError::PasswordTooLong:
      return "the password is too long";
    case CredentialError::PasswordInvalid:
      return "the password contains a disallowed character or invalid UTF-8";
    case CredentialError::InvalidParameters:
      return "empty salt or iteration count out of range";
  }
  return "unknown error";
}

Result<ScramCredentials, CredentialError> derive_scram_credentials(ScramHash hash,
                                                                   std::string_view password,
                                                                   std::string_view salt,
                                                                   std::uint32_t iterations) {
  Result<detail::ScramKeys, CredentialError> keys =
      detail::derive_keys(hash, password, salt, iterations);
  if (!keys.ok()) {
    return Err(keys.error());
  }
  detail::wipe(keys->client_key);
  return ScramCredentials{hash, std::string(salt), iterations, std::move(keys->stored_key),
                          std::move(keys->server_key)};
}

Result<ScramCredentials, CredentialError> make_scram_credentials(ScramHash hash,
                                                                 std::string_view password,
                                                                 std::uint32_t iterations) {
  return derive_scram_credentials(hash, password, detail::random_bytes(kDefaultSaltBytes),
                                  iterations);
}

bool scram_password_matches(const ScramCredentials& credentials, std::string_view password) {
  Result<detail::ScramKeys, CredentialError> keys =
      detail::derive_keys(credentials.hash, password, credentials.salt, credentials.iterations);
  if (!keys.ok()) {
    return false;
  }
  const bool match = detail::equal_secret(keys->stored_key, credentials.stored_key);
  detail::wipe(keys->client_key);
  detail::wipe(keys->stored_key);
  detail::wipe(keys->server_key);
  return match;
}

namespace detail {

std::string digest(ScramHash hash, std::string_view data) {
  std::string out(digest_bytes(hash), '\0');
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), bytes(out), &size, evp_md(hash), nullptr) != 1 ||
      size != out.size()) {
    crypto_failure();
  }
  return out;
}

std::string hmac(ScramHash hash, std::string_view key, std::string_view data) {
  std::string out(digest_bytes(hash), '\0');
  std::size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, evp_md_name(hash), nullptr, key.data(), key.size(),
                bytes(data), data.size(), bytes(out), out.size(), &size) == nullptr ||
      size != out.size()) {
    crypto_failure();
  }
  return out;
}

std::string random_bytes(std::size_t size) {
  std::string out(size, '\0');
  if (size > INT_MAX || RAND_bytes(bytes(out), static_cast<int>(size)) != 1) {
    crypto_failure();
  }
  return out;
}

std::string random_nonce() {
  return base64_encode(random_bytes(18));
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (std::size_t i = 0; i < out.size() && i < b.size(); ++i) {
    out[i] = static_cast<char>(out[i] ^ b[i]);
  }
  return out;
}

Result<ScramKeys, CredentialError> derive_keys(ScramHash hash, std::string_view password,
                                               std::string_view salt, std::uint32_t iterations) {
  if (salt.empty() || salt.size() > INT_MAX || iterations == 0 ||
      iterations > kMaxScramIterations) {
    return Err(CredentialError::InvalidParameters);
  }
  std::string prepared;
  switch (precis::prepare_resource(password, prepared)) {
    case precis::PrepStatus::Ok:
      break;
    case precis::PrepStatus::Empty:
      return Err(CredentialError::PasswordEmpty);
    case precis::PrepStatus::TooLong:
      return Err(CredentialError::PasswordTooLong);
    case precis::PrepStatus::Invalid:
      return Err(CredentialError::PasswordInvalid);
  }
  std::string salted(digest_bytes(hash), '\0');
  const int ok = PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()), bytes(salt),
                                   static_cast<int>(salt.size()), static_cast<int>(iterations),
                                   evp_md(hash), static_cast<int>(salted.size()), bytes(salted));
  wipe(prepared);
  if (ok != 1) {
    crypto_failure();
  }
  ScramKeys keys;
  keys.client_key = hmac(hash, salted, "Client Key");
  keys.stored_key = digest(hash, keys.client_key);
  keys.server_key = hmac(hash, salted, "Server Key");
  wipe(salted);
  return keys;
}

std::string fake_salt(const SaslServerOptions& options, ScramHash hash, std::string_view username) {
  const std::string& key =
      options.fake_salt_key.empty() ? process_fake_salt_key() : options.fake_salt_key;
  const std::size_t size =
      options.fake_salt_bytes == 0 ? kDefaultSaltBytes : options.fake_salt_bytes;
  std::string input;
  input.push_back('\0');  // block counter
  input.append(hash_name(hash)).push_back('\0');
  input.append(username);
  std::string salt;
  while (salt.size() < size) {
    salt.append(hmac(ScramHash::Sha512, key, input));
    ++input[0];
  }
  salt.resize(size);
  return salt;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte, C0/C1 (overlong) or F5-FF
    }
    if (text.size() - i < length) {
      return false;
    }
    for (std::size_t j = 1; j < length; ++j) {
      const auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (next & 0x3F);
    }
    if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::optional<std::string> decode_saslname(std::string_view encoded) {
  if (encoded.empty()) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '\0' || c == ',') {
      return std::nullopt;
    }
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    const std::string_view escape = encoded.substr(i + 1, 2);
    if (escape == "2C") {
      out.push_back(',');
    } else if (escape == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (!valid_utf8(out)) {
    return std::nullopt;
  }
  return out;
}

std::string encode_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == ',') {
      out.append("=2C");
    } else if (c == '=') {
      out.append("=3D");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view message) {
  std::vector<std::string_view> fields;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = message.find(',', begin);
    if (comma == std::string_view::npos) {
      fields.push_back(message.substr(begin));
      return fields;
    }
    fields.push_back(message.substr(begin, comma - begin));
    begin = comma + 1;
  }
}

std::optional<Attribute> parse_attribute(std::string_view field) {
  if (field.size() < 3 || field[1] != '=') {
    return std::nullopt;
  }
  const char name = field[0];
  if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) {
    return std::nullopt;
  }
  const std::string_view value = field.substr(2);
  if (value.find('\0') != std::string_view::npos || !valid_utf8(value)) {
    return std::nullopt;
  }
  return Attribute{name, value};
}

bool is_printable(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (c < 0x21 || c > 0x7E || c == ',') {
      return false;
    }
  }
  return true;
}

}  // namespace detail
}  // namespace tern::xmpp::sasl
