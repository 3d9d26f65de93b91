// SPDX-License-Identifier: MIT
// The PLAIN server mechanism and client helper (RFC 4616).
#include "xmpp/sasl/plain.h"

#include <array>
#include <utility>

#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_detail.h"

namespace tern::xmpp::sasl {
namespace {

// Credentials are looked up for each hash in turn; an account needs only one of them.
constexpr std::array<ScramHash, 3> kLookupOrder = {ScramHash::Sha512, ScramHash::Sha256,
                                                   ScramHash::Sha1};

Step malformed(std::string text) {
  return Step::fail(SaslFailure::MalformedRequest, std::move(text));
}

bool valid_field(std::string_view field) {
  return field.size() <= kMaxPlainFieldBytes && detail::valid_utf8(field);
}

}  // namespace

PlainServer::PlainServer(SaslServerOptions options) : options_(std::move(options)) {}

Step PlainServer::first(std::string_view message) {
  // message = [authzid] UTF8NUL authcid UTF8NUL passwd
  const std::size_t first_nul = message.find('\0');
  const std::size_t second_nul =
      first_nul == std::string_view::npos ? first_nul : message.find('\0', first_nul + 1);
  if (second_nul == std::string_view::npos ||
      message.find('\0', second_nul + 1) != std::string_view::npos) {
    return malformed("expected authzid NUL authcid NUL password");
  }
  const std::string_view authzid = message.substr(0, first_nul);
  const std::string_view authcid = message.substr(first_nul + 1, second_nul - first_nul - 1);
  const std::string_view password = message.substr(second_nul + 1);
  if (authcid.empty() || password.empty()) {
    return malformed("empty authcid or password");
  }
  if (!valid_field(authzid) || !valid_field(authcid) || !valid_field(password)) {
    return malformed("field too long or not UTF-8");
  }
  set_attempted_username(authcid);

  std::optional<std::string> username = options_.prepare_username
                                            ? options_.prepare_username(authcid)
                                            : std::optional<std::string>(authcid);
  std::optional<ScramCredentials> credentials;
  if (username && options_.lookup) {
    for (const ScramHash hash : kLookupOrder) {
      credentials = options_.lookup(*username, hash);
      if (credentials) {
        break;
      }
    }
  }
  bool match = false;
  if (credentials) {
    match = scram_password_matches(*credentials, password);
    detail::wipe(credentials->stored_key);
    detail::wipe(credentials->server_key);
  } else {
    // Spend the same time on an unknown user as on a known one.
    ScramCredentials fake;
    fake.hash = ScramHash::Sha256;
    fake.salt = detail::fake_salt(options_, fake.hash, username ? *username : authcid);
    fake.iterations =
        options_.fake_iterations == 0 ? kDefaultScramIterations : options_.fake_iterations;
    fake.stored_key = detail::random_bytes(digest_bytes(fake.hash));
    (void)scram_password_matches(fake, password);
  }
  if (!match) {
    return Step::fail(SaslFailure::NotAuthorized);
  }
  set_identity(std::move(*username), std::string(authzid));
  return Step::success();
}

Step PlainServer::step(std::string_view /*message*/) {
  return malformed("PLAIN has a single message");  // unreachable: first() always finishes
}

std::optional<std::string> plain_initial_response(std::string_view authcid,
                                                  std::string_view password,
                                                  std::string_view authzid) {
  for (const std::string_view field : {authzid, authcid, password}) {
    if (field.size() > kMaxPlainFieldBytes || field.find('\0') != std::string_view::npos) {
      return std::nullopt;
    }
  }
  if (authcid.empty() || password.empty()) {
    return std::nullopt;
  }
  std::string message(authzid);
  message.push_back('\0');
  message.append(authcid).push_back('\0');
  message.append(password);
  return message;
}

}  // namespace tern::xmpp::sasl
