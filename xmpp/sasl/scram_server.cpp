// SPDX-License-Identifier: MIT
// The SCRAM server mechanism (RFC 5802 §5, §7): parsing client-first and client-final, channel
// binding checks, proof verification, and the fake exchange for unknown users.
#include <string>
#include <utility>

#include "xmpp/base64.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_detail.h"

namespace tern::xmpp::sasl {
namespace {

Step malformed(std::string text) {
  return Step::fail(SaslFailure::MalformedRequest, std::move(text));
}
Step not_authorized(std::string text) {
  return Step::fail(SaslFailure::NotAuthorized, std::move(text));
}

// cb-name = 1*(ALPHA / DIGIT / "." / "-")
bool valid_binding_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool usable(const std::optional<ScramCredentials>& credentials, ScramHash hash) {
  return credentials && credentials->hash == hash && !credentials->salt.empty() &&
         credentials->iterations > 0 && credentials->iterations <= kMaxScramIterations &&
         credentials->stored_key.size() == digest_bytes(hash) &&
         credentials->server_key.size() == digest_bytes(hash);
}

}  // namespace

ScramServer::ScramServer(ScramHash hash, bool plus, SaslServerOptions options, SaslChannel channel)
    : hash_(hash), plus_(plus), options_(std::move(options)), channel_(std::move(channel)) {}

ScramServer::~ScramServer() {
  detail::wipe(credentials_.stored_key);
  detail::wipe(credentials_.server_key);
}

Step ScramServer::first(std::string_view message) {
  if (message.empty()) {
    return malformed("empty client-first-message");
  }
  if (message.size() > kMaxScramMessageBytes) {
    return malformed("client-first-message too long");
  }
  // gs2-header = gs2-cbind-flag "," [authzid] ","
  const std::size_t flag_end = message.find(',');
  const std::size_t header_end =
      flag_end == std::string_view::npos ? flag_end : message.find(',', flag_end + 1);
  if (header_end == std::string_view::npos) {
    return malformed("missing gs2 header");
  }
  const std::string_view flag = message.substr(0, flag_end);
  const std::string_view authz = message.substr(flag_end + 1, header_end - flag_end - 1);
  const std::string_view gs2_header = message.substr(0, header_end + 1);
  const std::string_view bare = message.substr(header_end + 1);

  std::string authzid;
  if (!authz.empty()) {
    const std::optional<detail::Attribute> attribute = detail::parse_attribute(authz);
    if (!attribute || attribute->name != 'a') {
      return malformed("invalid gs2 header");
    }
    std::optional<std::string> decoded = detail::decode_saslname(attribute->value);
    if (!decoded) {
      return malformed("invalid-username-encoding");
    }
    authzid = std::move(*decoded);
  }

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const std::vector<std::string_view> fields = detail::split_fields(bare);
  if (fields[0].starts_with("m=")) {
    return malformed("extensions-not-supported");
  }
  if (fields.size() < 2) {
    return malformed("client-first-message needs n= and r=");
  }
  const std::optional<detail::Attribute> user = detail::parse_attribute(fields[0]);
  const std::optional<detail::Attribute> nonce = detail::parse_attribute(fields[1]);
  if (!user || user->name != 'n' || !nonce || nonce->name != 'r' ||
      !detail::is_printable(nonce->value)) {
    return malformed("client-first-message needs n= and r=");
  }
  for (std::size_t i = 2; i < fields.size(); ++i) {
    if (!detail::parse_attribute(fields[i])) {
      return malformed("invalid extension attribute");
    }
  }
  std::optional<std::string> username = detail::decode_saslname(user->value);
  if (!username) {
    return malformed("invalid-username-encoding");
  }
  set_attempted_username(*username);
  if (std::optional<Step> refused = check_binding_flag(flag, gs2_header)) {
    return std::move(*refused);
  }

  load_credentials(*username);
  authzid_ = std::move(authzid);
  client_first_bare_ = std::string(bare);
  nonce_ = std::string(nonce->value);
  nonce_.append(options_.fixed_nonce.empty() ? detail::random_nonce() : options_.fixed_nonce);
  server_first_ = "r=" + nonce_ + ",s=";
  base64_encode_to(credentials_.salt, server_first_);
  server_first_.append(",i=").append(std::to_string(credentials_.iterations));
  return Step::challenge(server_first_);
}

std::optional<Step> ScramServer::check_binding_flag(std::string_view flag,
                                                    std::string_view gs2_header) {
  if (flag == "n" || flag == "y") {
    if (plus_) {
      return malformed("a -PLUS mechanism needs channel binding (p=)");
    }
    // RFC 5802 §6: "y" means the client could bind but saw no -PLUS offer. We offered one, so
    // someone removed it on the way: a downgrade attack. Unless the server also announced its
    // binding types (XEP-0440) and the client supports none of them: slixmpp 1.8 binds only
    // with tls-unique, which TLS 1.3 does not define, and then falls back with "y".
    if (flag == "y" && !channel_.channel_bindings.empty() && !options_.types_announced) {
      return not_authorized("server-does-support-channel-binding");
    }
    cbind_input_ = std::string(gs2_header);
    return std::nullopt;
  }
  if (!flag.starts_with("p=") || !valid_binding_name(flag.substr(2))) {
    return malformed("invalid gs2 header");
  }
  if (!plus_) {
    return malformed("channel-binding-not-supported");
  }
  const std::string_view type = flag.substr(2);
  for (const ChannelBindingData& binding : channel_.channel_bindings) {
    if (binding.type == type) {
      cbind_input_ = std::string(gs2_header);
      cbind_input_.append(binding.data);
      return std::nullopt;
    }
  }
  return malformed("unsupported-channel-binding-type");
}

void ScramServer::load_credentials(std::string_view username) {
  std::optional<std::string> prepared = options_.prepare_username
                                            ? options_.prepare_username(username)
                                            : std::optional<std::string>(username);
  std::optional<ScramCredentials> found;
  if (prepared && options_.lookup) {
    found = options_.lookup(*prepared, hash_);
  }
  if (usable(found, hash_)) {
    credentials_ = std::move(*found);
    known_user_ = true;
    username_ = std::move(*prepared);
    return;
  }
  if (found) {
    detail::wipe(found->stored_key);
    detail::wipe(found->server_key);
  }
  // An unknown user gets a challenge that looks like a real one: a salt that is the same on every
  // attempt, the usual iteration count, and random keys that no proof can match.
  credentials_.hash = hash_;
  credentials_.salt =
      detail::fake_salt(options_, hash_, prepared ? std::string_view(*prepared) : username);
  credentials_.iterations =
      options_.fake_iterations == 0 ? kDefaultScramIterations : options_.fake_iterations;
  credentials_.stored_key = detail::random_bytes(digest_bytes(hash_));
  credentials_.server_key = detail::random_bytes(digest_bytes(hash_));
  known_user_ = false;
}

Step ScramServer::step(std::string_view message) {
  if (message.empty()) {
    return malformed("empty client-final-message");
  }
  if (message.size() > kMaxScramMessageBytes) {
    return malformed("client-final-message too long");
  }
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  const std::vector<std::string_view> fields = detail::split_fields(message);
  if (fields.size() < 3) {
    return malformed("client-final-message needs c=, r= and p=");
  }
  const std::optional<detail::Attribute> binding = detail::parse_attribute(fields.front());
  const std::optional<detail::Attribute> nonce = detail::parse_attribute(fields[1]);
  const std::optional<detail::Attribute> proof = detail::parse_attribute(fields.back());
  if (!binding || binding->name != 'c' || !nonce || nonce->name != 'r' || !proof ||
      proof->name != 'p') {
    return malformed("client-final-message needs c=, r= and p=");
  }
  for (std::size_t i = 2; i + 1 < fields.size(); ++i) {
    if (!detail::parse_attribute(fields[i])) {
      return malformed("invalid extension attribute");
    }
  }
  const std::optional<std::string> binding_bytes = base64_decode(binding->value);
  const std::optional<std::string> proof_bytes = base64_decode(proof->value);
  if (!binding_bytes || !proof_bytes) {
    return Step::fail(SaslFailure::IncorrectEncoding, "invalid-encoding");
  }
  if (!detail::equal_secret(*binding_bytes, cbind_input_)) {
    return not_authorized("channel-bindings-dont-match");
  }
  if (nonce->value != nonce_) {
    return not_authorized("other-error");
  }
  if (proof_bytes->size() != digest_bytes(hash_)) {
    return not_authorized("invalid-proof");
  }

  // AuthMessage = client-first-message-bare "," server-first-message ","
  //               client-final-message-without-proof
  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first_).append(",");
  auth_message.append(message.substr(0, message.size() - fields.back().size() - 1));

  const std::string client_signature = detail::hmac(hash_, credentials_.stored_key, auth_message);
  std::string client_key = detail::xor_bytes(*proof_bytes, client_signature);
  const bool proof_ok =
      detail::equal_secret(detail::digest(hash_, client_key), credentials_.stored_key);
  detail::wipe(client_key);
  if (!(proof_ok & known_user_)) {
    return not_authorized("invalid-proof");
  }
  std::string server_final = "v=";
  base64_encode_to(detail::hmac(hash_, credentials_.server_key, auth_message), server_final);
  set_identity(username_, authzid_);
  return Step::success(std::move(server_final));
}

}  // namespace tern::xmpp::sasl
