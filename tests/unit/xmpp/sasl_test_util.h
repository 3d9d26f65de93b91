// SPDX-License-Identifier: MIT
// Helpers for the SASL tests: an in-memory account store behind a CredentialLookup, server
// options with test-friendly settings, and a strict base64 decode for literals.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xmpp/base64.h"
#include "xmpp/sasl/mechanism.h"
#include "xmpp/sasl/scram.h"

namespace tern::xmpp::sasl::testing {

inline constexpr std::uint32_t kTestIterations = 4096;

inline std::string unbase64(std::string_view text) {
  std::optional<std::string> bytes = base64_decode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

class Accounts {
 public:
  void add(const std::string& user, std::string_view password, ScramHash hash,
           std::string salt = "0123456789abcdef", std::uint32_t iterations = kTestIterations) {
    Result<ScramCredentials, CredentialError> credentials =
        derive_scram_credentials(hash, password, salt, iterations);
    ASSERT_TRUE(credentials.ok());
    add_credentials(user, hash, *credentials);
  }
  void add_credentials(const std::string& user, ScramHash hash, ScramCredentials credentials) {
    map_[{user, hash}] = std::move(credentials);
  }
  CredentialLookup lookup() {
    return [this](std::string_view user, ScramHash hash) -> std::optional<ScramCredentials> {
      looked_up.emplace_back(user);
      auto it = map_.find({std::string(user), hash});
      if (it == map_.end()) {
        return std::nullopt;
      }
      return it->second;
    };
  }

  std::vector<std::string> looked_up;

 private:
  std::map<std::pair<std::string, ScramHash>, ScramCredentials> map_;
};

inline SaslServerOptions test_options(Accounts& accounts) {
  SaslServerOptions options;
  options.lookup = accounts.lookup();
  options.fake_salt_key = "test fake salt key";
  options.fake_iterations = kTestIterations;
  options.fake_salt_bytes = 16;
  return options;
}

inline ChannelBindingData exporter_binding() {
  return {"tls-exporter", std::string(32, '\x5A')};
}
inline ChannelBindingData end_point_binding() {
  return {"tls-server-end-point", std::string(32, '\xC3')};
}

}  // namespace tern::xmpp::sasl::testing
