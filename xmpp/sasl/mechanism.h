// SPDX-License-Identifier: MIT
// The server side of SASL in XMPP (RFC 6120 §6, RFC 4422), without I/O: the failure conditions,
// the result of one step, the abstract mechanism the stream code drives, and the factory that
// lists and creates the mechanisms a connection may use. The stream code decodes the base64 of
// <auth/> and <response/>, calls start()/next(), and turns each Step into <challenge/>,
// <success/> or <failure/>; after a Success it checks authzid() itself (invalid-authzid).
//
// Mechanisms, in server preference order (offered_mechanisms()):
//   SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS   only with channel binding data
//   SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1
//   PLAIN                                                       only on an encrypted stream
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"
#include "xmpp/sasl/credentials.h"

namespace tern::xmpp::sasl {

// RFC 6120 §6.5, in the RFC's order.
enum class SaslFailure : std::uint8_t {
  Aborted,
  AccountDisabled,
  CredentialsExpired,
  EncryptionRequired,
  IncorrectEncoding,
  InvalidAuthzid,
  InvalidMechanism,
  MalformedRequest,
  MechanismTooWeak,
  NotAuthorized,
  TemporaryAuthFailure,
};
inline constexpr std::size_t kSaslFailureCount = 11;

// The element name of a condition, e.g. "not-authorized".
std::string_view condition_name(SaslFailure condition);
std::optional<SaslFailure> parse_sasl_failure(std::string_view name);

enum class StepKind : std::uint8_t { Challenge, Success, Failure };

// What to send after one step. `data` is raw bytes (the stream code base64-encodes it): the
// challenge, or the additional data of <success/> (empty: none). `text` goes into the optional
// <text/> of <failure/>; it never contains secrets or tells whether an account exists.
struct Step {
  StepKind kind = StepKind::Failure;
  std::string data;
  SaslFailure failure = SaslFailure::NotAuthorized;
  std::string text;

  static Step challenge(std::string data);
  static Step success(std::string additional_data = {});
  static Step fail(SaslFailure condition, std::string text = {});

  bool is_challenge() const { return kind == StepKind::Challenge; }
  bool is_success() const { return kind == StepKind::Success; }
  bool is_failure() const { return kind == StepKind::Failure; }

  friend bool operator==(const Step&, const Step&) = default;
};

// Channel binding data (RFC 5056) from the TLS layer: the type name as used in the SCRAM gs2
// header and the bytes. "tls-exporter" (RFC 9266): 32 bytes exported with the label
// "EXPORTER-Channel-Binding" and no context. "tls-server-end-point" (RFC 5929 §4.1): the hash of
// the server certificate.
struct ChannelBindingData {
  std::string type;
  std::string data;

  friend bool operator==(const ChannelBindingData&, const ChannelBindingData&) = default;
};

// One authentication exchange on the server. Not thread-safe; one per attempt. The public calls
// check the order of the exchange (start once, then next while challenges are pending); a call
// out of order fails with malformed-request and ends the exchange (a succeeded exchange stays
// succeeded).
class ServerMechanism {
 public:
  virtual ~ServerMechanism() = default;
  ServerMechanism(const ServerMechanism&) = delete;
  ServerMechanism& operator=(const ServerMechanism&) = delete;

  // The registered name, e.g. "SCRAM-SHA-256-PLUS".
  virtual std::string_view name() const = 0;

  // <auth/> with an initial response: its decoded bytes (RFC 6120 §6.4.2: "=" is empty).
  Step start(std::string_view initial_response);
  // <auth/> without an initial response: an empty challenge, and the next response is taken as
  // the client's first message (SCRAM and PLAIN are client-first).
  Step start_without_response();
  // <response/>: its decoded bytes.
  Step next(std::string_view response);
  // <abort/> (RFC 6120 §6.4.4): fails with aborted.
  Step abort();

  bool done() const { return state_ == State::Succeeded || state_ == State::Failed; }
  bool succeeded() const { return state_ == State::Succeeded; }

  // The authenticated username (decoded and prepared) and the requested authorization identity
  // as sent (empty when none). Both are empty until the exchange has succeeded.
  const std::string& authcid() const { return authcid_; }
  const std::string& authzid() const { return authzid_; }
  // The username the client gave, decoded but not prepared, once the mechanism has read it, and
  // still after a failure: for the log line of a failed attempt. Never anything secret.
  const std::string& attempted_username() const { return attempted_username_; }

 protected:
  ServerMechanism() = default;

  // The client's first message; then each later response. Return the next step; before
  // returning a Success, call set_identity().
  virtual Step first(std::string_view message) = 0;
  virtual Step step(std::string_view message) = 0;

  void set_identity(std::string authcid, std::string authzid);
  void set_attempted_username(std::string_view username) { attempted_username_ = username; }

 private:
  enum class State : std::uint8_t { Idle, AwaitingFirst, InProgress, Succeeded, Failed };

  Step finish(Step step);
  Step out_of_order();

  State state_ = State::Idle;
  std::string authcid_;
  std::string authzid_;
  std::string attempted_username_;
};

// Server-wide settings shared by every connection.
struct SaslServerOptions {
  CredentialLookup lookup;        // required
  UsernamePrep prepare_username;  // optional: without it the decoded name is used as is
  // The SCRAM hashes to offer (order does not matter: offers follow the fixed preference order).
  std::vector<ScramHash> scram_hashes = {ScramHash::Sha512, ScramHash::Sha256, ScramHash::Sha1};
  bool allow_plain = true;  // still only on encrypted streams
  // Whether the stream announces its channel-binding types (XEP-0440 <sasl-channel-binding/>).
  // Then a client that supports none of them may answer with the gs2 flag "y" and is accepted;
  // without the announcement "y" with -PLUS on offer is refused as a downgrade (RFC 5802 §6).
  bool types_announced = false;

  // Unknown users get a fake challenge (RFC 5802 §9 asks that the server not reveal whether an
  // account exists): salt = HMAC(fake_salt_key, hash name, username), so it is the same every
  // time. Set the key from configuration to keep it stable across restarts (empty: a random key
  // per process), and set the salt size and iteration count to what new accounts get.
  std::string fake_salt_key;
  std::uint32_t fake_iterations = kDefaultScramIterations;
  std::size_t fake_salt_bytes = kDefaultSaltBytes;

  // Tests only: the server's part of the SCRAM nonce (printable ASCII, no ','), instead of 18
  // random bytes in base64.
  std::string fixed_nonce;
};

// Per-connection facts, from the TLS layer.
struct SaslChannel {
  bool encrypted = false;
  std::vector<ChannelBindingData> channel_bindings;  // empty: no -PLUS mechanisms
};

// The mechanism names to advertise, in preference order.
std::vector<std::string_view> offered_mechanisms(const SaslServerOptions& options,
                                                 const SaslChannel& channel);

// A new exchange for the mechanism the client chose. Fails with invalid-mechanism for a name
// that is unknown or not offered, and with encryption-required for PLAIN on a plain stream.
Result<std::unique_ptr<ServerMechanism>, SaslFailure> make_server_mechanism(
    std::string_view name, const SaslServerOptions& options, const SaslChannel& channel);

}  // namespace tern::xmpp::sasl
