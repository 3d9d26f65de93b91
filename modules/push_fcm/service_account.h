// SPDX-License-Identifier: MIT
// A Google service account (the JSON file Firebase hands out) and the OAuth 2.0 JWT bearer grant
// (RFC 7523) that turns it into an access token for FCM's HTTP v1 API: a JWT naming the account,
// the messaging scope and the token endpoint, signed RS256 with the account's private key
// (OpenSSL), posted to token_uri.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/result.h"

namespace tern::modules::push_fcm {

struct ServiceAccount {
  std::string project_id;
  std::string client_email;
  std::string token_uri;
  std::shared_ptr<EVP_PKEY> key;
};

// Reads the JSON text of a service account file: what is missing or unusable, or the account.
Result<ServiceAccount, std::string> parse_service_account(std::string_view json);

// The signed assertion (header.claims.signature, each base64url) valid from `now` for an hour.
std::string make_assertion(const ServiceAccount& account, std::uint64_t now);

// The token endpoint's form body for `assertion`.
std::string token_request_body(std::string_view assertion);

struct AccessToken {
  std::string token;
  std::uint64_t expires_in_s = 0;
};
// The token endpoint's JSON answer, or nullopt when it has no usable token.
std::optional<AccessToken> parse_token_response(std::string_view json);

// RFC 4648 §5 base64url without padding.
std::string base64url(std::string_view bytes);

}  // namespace tern::modules::push_fcm
