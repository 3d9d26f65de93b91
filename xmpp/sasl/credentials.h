// SPDX-License-Identifier: MIT
// What the server keeps to authenticate a user with SCRAM (RFC 5802 §3) and PLAIN (RFC 4616): a
// salt, an iteration count and two keys derived from the password, never the password itself,
// plus the callbacks through which the mechanisms reach the account store. It is a header of its
// own so that mechanism.h (whose factory options name these) and scram.h can both include it;
// scram.h has the functions that derive credentials from a password.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tern::xmpp::sasl {

enum class ScramHash : std::uint8_t { Sha1, Sha256, Sha512 };

// The hash part of the mechanism names: "SHA-1", "SHA-256", "SHA-512".
constexpr std::string_view hash_name(ScramHash hash) {
  switch (hash) {
    case ScramHash::Sha1:
      return "SHA-1";
    case ScramHash::Sha256:
      return "SHA-256";
    case ScramHash::Sha512:
      return "SHA-512";
  }
  return "SHA-256";
}

// The size of the hash's output in bytes (and of StoredKey and ServerKey): 20, 32 or 64.
constexpr std::size_t digest_bytes(ScramHash hash) {
  switch (hash) {
    case ScramHash::Sha1:
      return 20;
    case ScramHash::Sha256:
      return 32;
    case ScramHash::Sha512:
      return 64;
  }
  return 32;
}

// Iteration count and salt size for new accounts (RFC 7677 §4 asks for at least 4096).
inline constexpr std::uint32_t kDefaultScramIterations = 10000;
inline constexpr std::size_t kDefaultSaltBytes = 16;

// All fields are raw bytes. stored_key = H(ClientKey) and server_key = HMAC(SaltedPassword,
// "Server Key"), each digest_bytes(hash) long. These are secrets too: whoever has them can
// impersonate the server to the user, so they must never be logged.
struct ScramCredentials {
  ScramHash hash = ScramHash::Sha256;
  std::string salt;
  std::uint32_t iterations = 0;
  std::string stored_key;
  std::string server_key;

  friend bool operator==(const ScramCredentials&, const ScramCredentials&) = default;
};

// Returns the credentials of `username` for `hash`, or nullopt when there is no such account or
// it has no credentials for that hash. `username` is the SASL name as sent, decoded
// ("=2C" → ",", "=3D" → "="), then passed through the UsernamePrep hook if one is set. Called
// synchronously during a mechanism step.
using CredentialLookup =
    std::function<std::optional<ScramCredentials>(std::string_view username, ScramHash hash)>;

// Maps a username as sent to the form accounts are stored under (for XMPP, the PRECIS
// UsernameCaseMapped profile, precis::prepare_localpart). nullopt: no account can have this name;
// the exchange then fails exactly as for an unknown user.
using UsernamePrep = std::function<std::optional<std::string>(std::string_view username)>;

}  // namespace tern::xmpp::sasl
