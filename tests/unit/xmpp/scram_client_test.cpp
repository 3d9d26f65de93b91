// SPDX-License-Identifier: MIT
// The SCRAM client against a broken or hostile server: call order, bad usernames and passwords,
// malformed server messages, nonces that do not extend ours, iteration counts out of range,
// mandatory extensions, server errors and a wrong server signature.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "xmpp/base64.h"
#include "xmpp/sasl/scram.h"

namespace tern::xmpp::sasl {
namespace {

const std::string kSalt = base64_encode("salt");

// A client that has sent "n,,n=user,r=CLI".
std::unique_ptr<ScramClient> started(std::string password = "pencil",
                                     ScramClientOptions options = {}) {
  options.fixed_nonce = "CLI";
  auto client =
      std::make_unique<ScramClient>(ScramHash::Sha256, "user", std::move(password), options);
  EXPECT_EQ(client->client_first().value(), "n,,n=user,r=CLI");
  return client;
}

ScramClientError final_error(std::string_view server_first, ScramClientOptions options = {}) {
  Result<std::string, ScramClientError> result =
      started("pencil", options)->client_final(server_first);
  EXPECT_FALSE(result.ok()) << server_first;
  return result.ok() ? ScramClientError::OutOfOrder : result.error();
}

TEST(ScramClient, CallsOutOfOrder) {
  ScramClient client(ScramHash::Sha1, "user", "pencil");
  EXPECT_EQ(client.client_final("r=x,s=" + kSalt + ",i=4096").error(),
            ScramClientError::OutOfOrder);
  EXPECT_EQ(client.verify_server_final("v=AAAA").error(), ScramClientError::OutOfOrder);
  ASSERT_TRUE(client.client_first().ok());
  EXPECT_EQ(client.client_first().error(), ScramClientError::OutOfOrder);
  EXPECT_EQ(client.verify_server_final("v=AAAA").error(), ScramClientError::OutOfOrder);
}

TEST(ScramClient, InvalidUsernames) {
  for (const std::string& name : {std::string(), std::string("a\0b", 3), std::string("\xC0\xAF")}) {
    ScramClient client(ScramHash::Sha256, name, "pencil");
    EXPECT_EQ(client.client_first().error(), ScramClientError::InvalidUsername);
  }
  ScramClientOptions options;
  options.authzid = "\xFF";
  ScramClient client(ScramHash::Sha256, "user", "pencil", options);
  EXPECT_EQ(client.client_first().error(), ScramClientError::InvalidUsername);
}

TEST(ScramClient, InvalidPassword) {
  EXPECT_EQ(started("")->client_final("r=CLISRV,s=" + kSalt + ",i=4096").error(),
            ScramClientError::InvalidPassword);
}

TEST(ScramClient, MalformedServerFirst) {
  const std::vector<std::string> messages = {std::string(),
                                             std::string("r=CLISRV"),
                                             "r=CLISRV,s=" + kSalt,
                                             "s=" + kSalt + ",r=CLISRV,i=4096",
                                             "r=CLISRV,s=,i=4096",
                                             "r=CLISRV,s=!!!!,i=4096",
                                             "r=CLISRV,s=" + kSalt + ",i=0",
                                             "r=CLISRV,s=" + kSalt + ",i=04096",
                                             "r=CLISRV,s=" + kSalt + ",i=4096x",
                                             "r=CLISRV,s=" + kSalt + ",i=99999999999",
                                             "r=CLISRV,s=" + kSalt + ",i=-4096",
                                             "r=CLI SRV,s=" + kSalt + ",i=4096",
                                             "r=CLISRV,s=" + kSalt + ",i=4096,",
                                             "r=CLISRV,s=" + kSalt + ",i=4096,7=x"};
  for (const std::string& message : messages) {
    EXPECT_EQ(final_error(message), ScramClientError::Malformed) << message;
  }
}

TEST(ScramClient, ServerNonceMustExtendOurs) {
  for (const char* nonce : {"CLI", "SRV", "CLXSRV", "xCLISRV"}) {
    EXPECT_EQ(final_error(std::string("r=") + nonce + ",s=" + kSalt + ",i=4096"),
              ScramClientError::NonceMismatch)
        << nonce;
  }
}

TEST(ScramClient, IterationCountLimits) {
  EXPECT_EQ(final_error("r=CLISRV,s=" + kSalt + ",i=4095"), ScramClientError::IterationCount);
  ScramClientOptions options;
  options.min_iterations = 1;
  options.max_iterations = 100;
  EXPECT_EQ(final_error("r=CLISRV,s=" + kSalt + ",i=101", options),
            ScramClientError::IterationCount);
  EXPECT_TRUE(
      started("pencil", options)->client_final("r=CLISRV,s=" + kSalt + ",i=1,x=ignored").ok());
}

TEST(ScramClient, MandatoryExtension) {
  EXPECT_EQ(final_error("m=ext,r=CLISRV,s=" + kSalt + ",i=4096"),
            ScramClientError::MandatoryExtension);
}

TEST(ScramClient, ServerFinal) {
  const std::string server_first = "r=CLISRV,s=" + kSalt + ",i=4096";
  {
    auto client = started();
    ASSERT_TRUE(client->client_final(server_first).ok());
    EXPECT_EQ(client->verify_server_final("e=invalid-proof").error(),
              ScramClientError::ServerError);
    EXPECT_EQ(client->server_error(), "invalid-proof");
  }
  {
    auto client = started();
    ASSERT_TRUE(client->client_final(server_first).ok());
    EXPECT_EQ(client->verify_server_final("v=" + base64_encode(std::string(32, '\0'))).error(),
              ScramClientError::ServerSignatureMismatch);
  }
  for (const char* message : {"", "x=1", "v=!!!!", "v=", "v=AAAA,", "v"}) {
    auto client = started();
    ASSERT_TRUE(client->client_final(server_first).ok());
    EXPECT_EQ(client->verify_server_final(message).error(), ScramClientError::Malformed) << message;
  }
}

TEST(ScramClient, EveryErrorIsDescribed) {
  for (int i = 0; i <= static_cast<int>(ScramClientError::ServerSignatureMismatch); ++i) {
    EXPECT_FALSE(describe(static_cast<ScramClientError>(i)).empty());
  }
}

TEST(ScramClient, MechanismNames) {
  EXPECT_EQ(scram_mechanism_name(ScramHash::Sha1, false), "SCRAM-SHA-1");
  EXPECT_EQ(scram_mechanism_name(ScramHash::Sha512, true), "SCRAM-SHA-512-PLUS");
  const auto parsed = parse_scram_mechanism_name("SCRAM-SHA-256-PLUS");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->hash, ScramHash::Sha256);
  EXPECT_TRUE(parsed->plus);
  EXPECT_FALSE(parse_scram_mechanism_name("SCRAM-SHA-384").has_value());
}

}  // namespace
}  // namespace tern::xmpp::sasl
