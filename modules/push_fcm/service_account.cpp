// SPDX-License-Identifier: MIT
#include "modules/push_fcm/service_account.h"

#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "xmpp/base64.h"

namespace tern::modules::push_fcm {
namespace {

constexpr std::string_view kScope = "https://www.googleapis.com/auth/firebase.messaging";

}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out = xmpp::base64_encode(bytes);
  for (char& c : out) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  return out;
}

Result<ServiceAccount, std::string> parse_service_account(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Err(std::string("not a JSON object"));
  }
  auto field = [&](const char* name) -> std::string {
    auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ServiceAccount account;
  account.project_id = field("project_id");
  account.client_email = field("client_email");
  account.token_uri = field("token_uri");
  const std::string pem = field("private_key");
  for (auto [name, value] : {std::pair{"project_id", &account.project_id},
                             std::pair{"client_email", &account.client_email},
                             std::pair{"token_uri", &account.token_uri}}) {
    if (value->empty()) {
      return Err(std::string(name) + " is missing");
    }
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return Err(std::string("private_key is not an RSA key in PEM"));
  }
  account.key = std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
  return account;
}

std::string make_assertion(const ServiceAccount& account, std::uint64_t now) {
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const nlohmann::json claims = {{"iss", account.client_email},
                                 {"scope", kScope},
                                 {"aud", account.token_uri},
                                 {"iat", now},
                                 {"exp", now + 3600}};
  const std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t size = 0;
  std::string signature;
  if (md && EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, account.key.get()) == 1 &&
      EVP_DigestSign(md.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) == 1) {
    signature.resize(size);
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1) {
      signature.resize(size);
    } else {
      signature.clear();
    }
  }
  return signing_input + "." + base64url(signature);
}

std::string token_request_body(std::string_view assertion) {
  // The assertion is base64url and dots: nothing in it needs escaping in a form.
  return "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" +
         std::string(assertion);
}

std::optional<AccessToken> parse_token_response(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return std::nullopt;
  }
  auto token = json.find("access_token");
  if (token == json.end() || !token->is_string() || token->get<std::string>().empty()) {
    return std::nullopt;
  }
  AccessToken access;
  access.token = token->get<std::string>();
  auto expires = json.find("expires_in");
  access.expires_in_s =
      expires != json.end() && expires->is_number_unsigned() ? expires->get<std::uint64_t>() : 3600;
  return access;
}

}  // namespace tern::modules::push_fcm
