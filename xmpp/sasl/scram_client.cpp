// SPDX-License-Identifier: MIT
// The SCRAM client (RFC 5802 §5): builds client-first and client-final and checks the server's
// signature. Used by tern-bench and the conformance runner, so it must hold up against a hostile
// or broken server: every server message is parsed strictly.
#include <charconv>
#include <string>
#include <utility>

#include "xmpp/base64.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_detail.h"

namespace tern::xmpp::sasl {
namespace {

// posit-number = %x31-39 *DIGIT, as a uint32.
std::optional<std::uint32_t> parse_iterations(std::string_view text) {
  if (text.empty() || text[0] < '1' || text[0] > '9') {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.find('\0') == std::string_view::npos && detail::valid_utf8(name);
}

}  // namespace

std::string_view describe(ScramClientError error) {
  switch (error) {
    case ScramClientError::OutOfOrder:
      return "SCRAM client called out of order";
    case ScramClientError::InvalidUsername:
      return "the username or authzid is empty or not valid UTF-8";
    case ScramClientError::InvalidPassword:
      return "the password is not allowed by the OpaqueString profile";
    case ScramClientError::Malformed:
      return "the server's SCRAM message is malformed";
    case ScramClientError::MandatoryExtension:
      return "the server requires an unsupported SCRAM extension";
    case ScramClientError::NonceMismatch:
      return "the server's nonce does not extend the client's";
    case ScramClientError::IterationCount:
      return "the server's iteration count is out of the accepted range";
    case ScramClientError::ServerError:
      return "the server reported a SCRAM error";
    case ScramClientError::ServerSignatureMismatch:
      return "the server's signature is wrong";
  }
  return "unknown error";
}

ScramClient::ScramClient(ScramHash hash, std::string username, std::string password,
                         ScramClientOptions options)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      options_(std::move(options)) {}

ScramClient::~ScramClient() {
  detail::wipe(password_);
  detail::wipe(expected_server_signature_);
}

std::string_view ScramClient::mechanism_name() const {
  return scram_mechanism_name(hash_, options_.channel_binding.has_value());
}

Result<std::string, ScramClientError> ScramClient::client_first() {
  if (state_ != State::Initial) {
    return Err(ScramClientError::OutOfOrder);
  }
  if (!valid_name(username_) || (!options_.authzid.empty() && !valid_name(options_.authzid))) {
    return Err(ScramClientError::InvalidUsername);
  }
  // Built with clear + append/push_back: GCC 12 at -O3 reports a false -Wrestrict (GCC bug
  // 105329) for assigning a short literal to a std::string member here.
  gs2_header_.clear();
  if (options_.channel_binding) {
    gs2_header_.append("p=").append(options_.channel_binding->type);
  } else {
    gs2_header_.push_back(options_.binding_supported ? 'y' : 'n');
  }
  gs2_header_.push_back(',');
  if (!options_.authzid.empty()) {
    gs2_header_.append("a=").append(detail::encode_saslname(options_.authzid));
  }
  gs2_header_.push_back(',');
  client_nonce_ = options_.fixed_nonce.empty() ? detail::random_nonce() : options_.fixed_nonce;
  client_first_bare_ = "n=" + detail::encode_saslname(username_) + ",r=" + client_nonce_;
  state_ = State::SentFirst;
  return gs2_header_ + client_first_bare_;
}

Result<std::string, ScramClientError> ScramClient::client_final(std::string_view server_first) {
  if (state_ != State::SentFirst) {
    return Err(ScramClientError::OutOfOrder);
  }
  state_ = State::Done;  // any failure below ends the exchange
  if (server_first.size() > kMaxScramMessageBytes) {
    return Err(ScramClientError::Malformed);
  }
  // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
  //                        ["," extensions]
  const std::vector<std::string_view> fields = detail::split_fields(server_first);
  if (fields[0].starts_with("m=")) {
    return Err(ScramClientError::MandatoryExtension);
  }
  if (fields.size() < 3) {
    return Err(ScramClientError::Malformed);
  }
  const std::optional<detail::Attribute> nonce = detail::parse_attribute(fields[0]);
  const std::optional<detail::Attribute> salt = detail::parse_attribute(fields[1]);
  const std::optional<detail::Attribute> count = detail::parse_attribute(fields[2]);
  if (!nonce || nonce->name != 'r' || !detail::is_printable(nonce->value) || !salt ||
      salt->name != 's' || !count || count->name != 'i') {
    return Err(ScramClientError::Malformed);
  }
  for (std::size_t i = 3; i < fields.size(); ++i) {
    if (!detail::parse_attribute(fields[i])) {
      return Err(ScramClientError::Malformed);
    }
  }
  const std::optional<std::string> salt_bytes = base64_decode(salt->value);
  const std::optional<std::uint32_t> iterations = parse_iterations(count->value);
  if (!salt_bytes || salt_bytes->empty() || !iterations) {
    return Err(ScramClientError::Malformed);
  }
  if (nonce->value.size() <= client_nonce_.size() || !nonce->value.starts_with(client_nonce_)) {
    return Err(ScramClientError::NonceMismatch);
  }
  if (*iterations < options_.min_iterations || *iterations > options_.max_iterations) {
    return Err(ScramClientError::IterationCount);
  }
  Result<detail::ScramKeys, CredentialError> keys =
      detail::derive_keys(hash_, password_, *salt_bytes, *iterations);
  detail::wipe(password_);
  if (!keys.ok()) {
    return Err(keys.error() == CredentialError::InvalidParameters
                   ? ScramClientError::Malformed
                   : ScramClientError::InvalidPassword);
  }

  std::string cbind_input = gs2_header_;
  if (options_.channel_binding) {
    cbind_input.append(options_.channel_binding->data);
  }
  std::string final_message = "c=";
  base64_encode_to(cbind_input, final_message);
  final_message.append(",r=").append(nonce->value);

  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first).append(",").append(final_message);
  const std::string client_signature = detail::hmac(hash_, keys->stored_key, auth_message);
  final_message.append(",p=");
  base64_encode_to(detail::xor_bytes(keys->client_key, client_signature), final_message);
  expected_server_signature_ = detail::hmac(hash_, keys->server_key, auth_message);
  detail::wipe(keys->client_key);
  detail::wipe(keys->stored_key);
  detail::wipe(keys->server_key);
  state_ = State::SentFinal;
  return final_message;
}

Result<void, ScramClientError> ScramClient::verify_server_final(std::string_view server_final) {
  if (state_ != State::SentFinal) {
    return Err(ScramClientError::OutOfOrder);
  }
  state_ = State::Done;
  if (server_final.size() > kMaxScramMessageBytes) {
    return Err(ScramClientError::Malformed);
  }
  // server-final-message = (server-error / verifier) ["," extensions]
  const std::vector<std::string_view> fields = detail::split_fields(server_final);
  for (const std::string_view field : fields) {
    if (!detail::parse_attribute(field)) {
      return Err(ScramClientError::Malformed);
    }
  }
  const detail::Attribute first = *detail::parse_attribute(fields[0]);
  if (first.name == 'e') {
    server_error_ = std::string(first.value);
    return Err(ScramClientError::ServerError);
  }
  if (first.name != 'v') {
    return Err(ScramClientError::Malformed);
  }
  const std::optional<std::string> signature = base64_decode(first.value);
  if (!signature) {
    return Err(ScramClientError::Malformed);
  }
  const bool match = detail::equal_secret(*signature, expected_server_signature_);
  detail::wipe(expected_server_signature_);
  if (!match) {
    return Err(ScramClientError::ServerSignatureMismatch);
  }
  return {};
}

}  // namespace tern::xmpp::sasl
