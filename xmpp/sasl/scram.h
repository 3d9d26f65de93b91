// SPDX-License-Identifier: MIT
// SCRAM (RFC 5802) with SHA-1, SHA-256 (RFC 7677) and SHA-512, with and without channel binding
// (-PLUS; RFC 5929 tls-server-end-point, RFC 9266 tls-exporter): deriving the stored credentials
// from a password, the server mechanism, and a client (for tern-bench and the conformance
// runner). Passwords are prepared with the PRECIS OpaqueString profile (RFC 8265 §4), as
// RFC 8265 asks for passwords; the server only ever sees ScramCredentials.
//
// Server failures: the <failure/> condition, with the RFC 5802 server-error-value as the text
// where one fits (else a short English reason):
//   syntax error, unknown 'm=' extension, bad username encoding   malformed-request
//   -PLUS without "p=", "p=" without -PLUS, unknown binding type   malformed-request
//   bad base64 in c= or p=                                         incorrect-encoding
//   "y" while the server offers -PLUS (downgrade, RFC 5802 §6)     not-authorized
//   channel binding mismatch, wrong nonce, wrong proof            not-authorized
//   unknown user: a fake challenge, then exactly the wrong-proof failure
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/result.h"
#include "xmpp/sasl/credentials.h"
#include "xmpp/sasl/mechanism.h"

namespace tern::xmpp::sasl {

// "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS".
std::string_view scram_mechanism_name(ScramHash hash, bool plus);
struct ScramMechanismId {
  ScramHash hash;
  bool plus;
};
std::optional<ScramMechanismId> parse_scram_mechanism_name(std::string_view name);

// Client and server messages longer than this are refused.
inline constexpr std::size_t kMaxScramMessageBytes = 8192;
// PBKDF2 iteration counts above this are refused (OpenSSL takes an int).
inline constexpr std::uint32_t kMaxScramIterations = 100'000'000;

enum class CredentialError : std::uint8_t {
  PasswordEmpty,      // OpaqueString: nothing left of the password
  PasswordTooLong,    // OpaqueString: over 1023 bytes prepared
  PasswordInvalid,    // OpaqueString: bad UTF-8 or a disallowed code point
  InvalidParameters,  // empty salt, or iterations 0 or over kMaxScramIterations
};
std::string_view describe(CredentialError error);

// SaltedPassword = PBKDF2(HMAC-H, OpaqueString(password), salt, iterations), then the stored and
// server keys (RFC 5802 §3).
Result<ScramCredentials, CredentialError> derive_scram_credentials(ScramHash hash,
                                                                   std::string_view password,
                                                                   std::string_view salt,
                                                                   std::uint32_t iterations);
// The same with a fresh random salt of kDefaultSaltBytes: for creating or changing a password.
Result<ScramCredentials, CredentialError> make_scram_credentials(
    ScramHash hash, std::string_view password, std::uint32_t iterations = kDefaultScramIterations);
// Whether `password` is the one `credentials` were derived from (constant-time comparison).
bool scram_password_matches(const ScramCredentials& credentials, std::string_view password);

// The server side of one SCRAM exchange: client-first → server-first (challenge),
// client-final → Success with server-final ("v=" ServerSignature).
class ScramServer final : public ServerMechanism {
 public:
  // `plus`: this is the -PLUS variant. `channel` gives the binding types this connection has;
  // when it has any, the server "supports channel binding" in the sense of RFC 5802 §6.
  ScramServer(ScramHash hash, bool plus, SaslServerOptions options, SaslChannel channel);
  ~ScramServer() override;

  std::string_view name() const override { return scram_mechanism_name(hash_, plus_); }

 protected:
  Step first(std::string_view message) override;
  Step step(std::string_view message) override;

 private:
  std::optional<Step> check_binding_flag(std::string_view flag, std::string_view gs2_header);
  void load_credentials(std::string_view username);

  ScramHash hash_;
  bool plus_;
  SaslServerOptions options_;
  SaslChannel channel_;

  std::string cbind_input_;  // gs2 header + channel binding data: what c= must decode to
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
  std::string username_;
  std::string authzid_;
  ScramCredentials credentials_;
  bool known_user_ = false;
};

struct ScramClientOptions {
  std::string authzid;  // empty: none
  // Set: use it ("p=" type), for a -PLUS mechanism. Unset: "y" if binding_supported (the client
  // could bind but the server offered no -PLUS mechanism), else "n".
  std::optional<ChannelBindingData> channel_binding;
  bool binding_supported = false;
  // Iteration counts the client accepts from the server.
  std::uint32_t min_iterations = 4096;
  std::uint32_t max_iterations = 1'000'000;
  // Tests only: the client nonce (printable ASCII, no ','), instead of 18 random bytes in base64.
  std::string fixed_nonce;
};

enum class ScramClientError : std::uint8_t {
  OutOfOrder,               // a call in the wrong order
  InvalidUsername,          // empty, NUL, or bad UTF-8 (also for the authzid)
  InvalidPassword,          // refused by OpaqueString
  Malformed,                // the server's message does not follow RFC 5802 §7
  MandatoryExtension,       // the server sent an "m=" extension
  NonceMismatch,            // the server nonce does not extend ours
  IterationCount,           // outside [min_iterations, max_iterations]
  ServerError,              // the server sent "e=" (see server_error())
  ServerSignatureMismatch,  // the server does not know our credentials: do not trust it
};
std::string_view describe(ScramClientError error);

// The client side: client_first() → client_final(server-first) → verify_server_final().
class ScramClient {
 public:
  // `username` is sent as is (SASL-name encoded): prepare it first if the server expects that.
  ScramClient(ScramHash hash, std::string username, std::string password,
              ScramClientOptions options = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // "SCRAM-SHA-256", or "SCRAM-SHA-256-PLUS" with a channel binding.
  std::string_view mechanism_name() const;

  // The initial response (raw bytes, to be base64-encoded into <auth/>).
  Result<std::string, ScramClientError> client_first();
  // The response to the server-first challenge.
  Result<std::string, ScramClientError> client_final(std::string_view server_first);
  // Checks the additional data of <success/>. Only after this is the server authenticated.
  Result<void, ScramClientError> verify_server_final(std::string_view server_final);

  // The "e=" value after ServerError.
  const std::string& server_error() const { return server_error_; }

 private:
  enum class State : std::uint8_t { Initial, SentFirst, SentFinal, Done };

  ScramHash hash_;
  std::string username_;
  std::string password_;
  ScramClientOptions options_;
  State state_ = State::Initial;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string expected_server_signature_;
  std::string server_error_;
};

}  // namespace tern::xmpp::sasl
