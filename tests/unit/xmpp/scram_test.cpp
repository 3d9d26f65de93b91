// SPDX-License-Identifier: MIT
// SCRAM: the RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256) example exchanges byte for byte, a
// SHA-512 round trip, -PLUS with tls-exporter and tls-server-end-point, credential derivation
// with OpaqueString, the mechanism factory, and the client's checks of a hostile server. The
// server's failure paths are in scram_failure_test.cpp.
#include "xmpp/sasl/scram.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "tests/unit/xmpp/sasl_test_util.h"
#include "xmpp/base64.h"
#include "xmpp/sasl/mechanism.h"

namespace tern::xmpp::sasl {
namespace {

using testing::Accounts;
using testing::end_point_binding;
using testing::exporter_binding;
using testing::test_options;
using testing::unbase64;

struct Example {
  ScramHash hash;
  std::string salt_b64;
  std::string client_nonce;
  std::string server_nonce;
  std::string client_first;
  std::string server_first;
  std::string client_final;
  std::string server_final;
};

void check_example(const Example& example) {
  Accounts accounts;
  accounts.add("user", "pencil", example.hash, unbase64(example.salt_b64), 4096);
  SaslServerOptions options = test_options(accounts);
  options.fixed_nonce = example.server_nonce;
  ScramServer server(example.hash, false, options, SaslChannel{true, {}});
  ScramClientOptions client_options;
  client_options.fixed_nonce = example.client_nonce;
  ScramClient client(example.hash, "user", "pencil", client_options);

  Result<std::string, ScramClientError> client_first = client.client_first();
  ASSERT_TRUE(client_first.ok());
  EXPECT_EQ(*client_first, example.client_first);
  const Step challenge = server.start(*client_first);
  ASSERT_TRUE(challenge.is_challenge()) << challenge.text;
  EXPECT_EQ(challenge.data, example.server_first);
  Result<std::string, ScramClientError> client_final = client.client_final(challenge.data);
  ASSERT_TRUE(client_final.ok());
  EXPECT_EQ(*client_final, example.client_final);
  const Step success = server.next(*client_final);
  ASSERT_TRUE(success.is_success()) << success.text;
  EXPECT_EQ(success.data, example.server_final);
  EXPECT_TRUE(client.verify_server_final(success.data).ok());
  EXPECT_TRUE(server.succeeded());
  EXPECT_EQ(server.authcid(), "user");
  EXPECT_EQ(server.authzid(), "");
  EXPECT_EQ(accounts.looked_up, std::vector<std::string>{"user"});
}

TEST(Scram, Rfc5802Sha1Example) {
  check_example({ScramHash::Sha1, "QSXCR+Q6sek8bf92", "fyko+d2lbbFgONRv9qkxdawL",
                 "3rfcNHYJY1ZVvWVs7j", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                 "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                 "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                 "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="});
}

TEST(Scram, Rfc7677Sha256Example) {
  check_example({ScramHash::Sha256, "W22ZaJ0SNY7soEsUEjb6gQ==", "rOprNGfwEbeRWgbNEkqO",
                 "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                 "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                 "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                 "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                 "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="});
}

// A full exchange through the factory, as the stream code will run it; returns the server.
std::unique_ptr<ServerMechanism> run(const SaslServerOptions& options, const SaslChannel& channel,
                                     ScramClient& client, bool expect_success = true) {
  auto mechanism = make_server_mechanism(client.mechanism_name(), options, channel);
  EXPECT_TRUE(mechanism.ok());
  if (!mechanism.ok()) {
    return nullptr;
  }
  std::unique_ptr<ServerMechanism> server = std::move(mechanism).value();
  const Step challenge = server->start(client.client_first().value());
  EXPECT_TRUE(challenge.is_challenge()) << challenge.text;
  Result<std::string, ScramClientError> final_message = client.client_final(challenge.data);
  EXPECT_TRUE(final_message.ok());
  const Step result = server->next(final_message.value_or(""));
  EXPECT_EQ(result.is_success(), expect_success) << result.text;
  if (result.is_success()) {
    EXPECT_TRUE(client.verify_server_final(result.data).ok());
  }
  return server;
}

TEST(Scram, Sha512RoundTripWithRandomNonces) {
  Accounts accounts;
  accounts.add("juliet", "r0m30myr0m30", ScramHash::Sha512);
  ScramClient client(ScramHash::Sha512, "juliet", "r0m30myr0m30");
  EXPECT_EQ(client.mechanism_name(), "SCRAM-SHA-512");
  auto server = run(test_options(accounts), SaslChannel{true, {}}, client);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->name(), "SCRAM-SHA-512");
  EXPECT_EQ(server->authcid(), "juliet");
}

TEST(Scram, PlusWithEachChannelBindingType) {
  for (const ChannelBindingData& binding : {exporter_binding(), end_point_binding()}) {
    for (const ScramHash hash : {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512}) {
      Accounts accounts;
      accounts.add("romeo", "secret", hash);
      ScramClientOptions client_options;
      client_options.channel_binding = binding;
      ScramClient client(hash, "romeo", "secret", client_options);
      EXPECT_EQ(client.mechanism_name(), scram_mechanism_name(hash, true));
      const std::string first = client.client_first().value();
      EXPECT_TRUE(first.starts_with("p=" + binding.type + ",,n=romeo,r=")) << first;
      ScramClient again(hash, "romeo", "secret", client_options);
      auto server = run(test_options(accounts),
                        SaslChannel{true, {exporter_binding(), end_point_binding()}}, again);
      ASSERT_NE(server, nullptr);
      EXPECT_TRUE(server->succeeded());
    }
  }
}

TEST(Scram, ChannelBindingAttributeCoversHeaderAndData) {
  ScramClientOptions client_options;
  client_options.channel_binding = exporter_binding();
  client_options.authzid = "romeo@example.net";
  client_options.fixed_nonce = "abc";
  ScramClient client(ScramHash::Sha256, "romeo", "secret", client_options);
  ASSERT_TRUE(client.client_first().ok());
  const std::string final_message =
      client.client_final("r=abcdef,s=" + base64_encode("salt") + ",i=4096").value();
  const std::string expected =
      "c=" + base64_encode("p=tls-exporter,a=romeo@example.net," + exporter_binding().data);
  EXPECT_TRUE(final_message.starts_with(expected + ",r=abcdef,p=")) << final_message;
}

TEST(Scram, NonPlusClientWithoutBindingSupportWorksWhenServerCouldBind) {
  Accounts accounts;
  accounts.add("romeo", "secret", ScramHash::Sha256);
  ScramClient client(ScramHash::Sha256, "romeo", "secret");
  run(test_options(accounts), SaslChannel{true, {exporter_binding()}}, client);
}

TEST(Scram, YFlagIsFineWhenServerCannotBind) {
  Accounts accounts;
  accounts.add("romeo", "secret", ScramHash::Sha256);
  ScramClientOptions client_options;
  client_options.binding_supported = true;
  ScramClient client(ScramHash::Sha256, "romeo", "secret", client_options);
  run(test_options(accounts), SaslChannel{true, {}}, client);
}

TEST(Scram, AuthzidAndEscapedUsername) {
  Accounts accounts;
  accounts.add("a,b=c", "secret", ScramHash::Sha256);
  ScramClientOptions client_options;
  client_options.authzid = "x=y,z@example.com";
  client_options.fixed_nonce = "n0nce";
  ScramClient client(ScramHash::Sha256, "a,b=c", "secret", client_options);
  EXPECT_EQ(
      ScramClient(ScramHash::Sha256, "a,b=c", "secret", client_options).client_first().value(),
      "n,a=x=3Dy=2Cz@example.com,n=a=2Cb=3Dc,r=n0nce");
  auto server = run(test_options(accounts), SaslChannel{true, {}}, client);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->authcid(), "a,b=c");
  EXPECT_EQ(server->authzid(), "x=y,z@example.com");
}

TEST(Scram, UsernamePrepHook) {
  Accounts accounts;
  accounts.add("juliet", "secret", ScramHash::Sha256);
  SaslServerOptions options = test_options(accounts);
  options.prepare_username = [](std::string_view name) -> std::optional<std::string> {
    if (name == "Juliet") {
      return "juliet";
    }
    return std::nullopt;
  };
  ScramClient client(ScramHash::Sha256, "Juliet", "secret");
  auto server = run(options, SaslChannel{true, {}}, client);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->authcid(), "juliet");
  ScramClient refused(ScramHash::Sha256, "Bad Name", "secret");
  run(options, SaslChannel{true, {}}, refused, false);
}

TEST(Scram, StartWithoutInitialResponse) {
  Accounts accounts;
  accounts.add("user", "pencil", ScramHash::Sha256);
  ScramServer server(ScramHash::Sha256, false, test_options(accounts), SaslChannel{});
  ScramClient client(ScramHash::Sha256, "user", "pencil");
  EXPECT_EQ(server.start_without_response(), Step::challenge(""));
  const Step challenge = server.next(client.client_first().value());
  ASSERT_TRUE(challenge.is_challenge());
  const Step result = server.next(client.client_final(challenge.data).value());
  ASSERT_TRUE(result.is_success()) << result.text;
  EXPECT_TRUE(client.verify_server_final(result.data).ok());
}

TEST(ScramCredentials, DerivationUsesOpaqueString) {
  auto plain = derive_scram_credentials(ScramHash::Sha256, "pass word", "salt", 4096);
  auto nbsp = derive_scram_credentials(ScramHash::Sha256, "pass\xC2\xA0word", "salt", 4096);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(nbsp.ok());
  EXPECT_EQ(*plain, *nbsp);  // U+00A0 maps to U+0020 (RFC 8265 §4.2.1)
  EXPECT_EQ(plain->stored_key.size(), 32U);
  EXPECT_EQ(plain->server_key.size(), 32U);
  EXPECT_TRUE(scram_password_matches(*plain, "pass word"));
  EXPECT_TRUE(scram_password_matches(*plain, "pass\xC2\xA0word"));
  EXPECT_FALSE(scram_password_matches(*plain, "pass  word"));
  EXPECT_FALSE(scram_password_matches(*plain, ""));
}

TEST(ScramCredentials, RejectsBadInput) {
  EXPECT_EQ(derive_scram_credentials(ScramHash::Sha1, "", "salt", 1).error(),
            CredentialError::PasswordEmpty);
  EXPECT_EQ(derive_scram_credentials(ScramHash::Sha1, "\xFF", "salt", 1).error(),
            CredentialError::PasswordInvalid);
  EXPECT_EQ(derive_scram_credentials(ScramHash::Sha1, std::string(2000, 'x'), "salt", 1).error(),
            CredentialError::PasswordTooLong);
  EXPECT_EQ(derive_scram_credentials(ScramHash::Sha1, "pw", "", 1).error(),
            CredentialError::InvalidParameters);
  EXPECT_EQ(derive_scram_credentials(ScramHash::Sha1, "pw", "salt", 0).error(),
            CredentialError::InvalidParameters);
  EXPECT_FALSE(describe(CredentialError::PasswordInvalid).empty());
}

TEST(ScramCredentials, MakeUsesFreshSalt) {
  auto a = make_scram_credentials(ScramHash::Sha512, "pw", 4096);
  auto b = make_scram_credentials(ScramHash::Sha512, "pw", 4096);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->salt.size(), kDefaultSaltBytes);
  EXPECT_NE(a->salt, b->salt);
  EXPECT_EQ(a->iterations, 4096U);
  EXPECT_TRUE(scram_password_matches(*a, "pw"));
}

TEST(SaslFailure, EveryConditionHasAUniqueNameThatRoundTrips) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kSaslFailureCount; ++i) {
    const auto condition = static_cast<SaslFailure>(i);
    EXPECT_TRUE(seen.insert(condition_name(condition)).second);
    EXPECT_EQ(parse_sasl_failure(condition_name(condition)), condition);
  }
  EXPECT_EQ(condition_name(SaslFailure::TemporaryAuthFailure), "temporary-auth-failure");
  EXPECT_EQ(condition_name(SaslFailure::Aborted), "aborted");
  EXPECT_FALSE(parse_sasl_failure("bad-auth").has_value());
}

TEST(SaslFactory, OffersInPreferenceOrder) {
  Accounts accounts;
  const SaslServerOptions options = test_options(accounts);
  using Names = std::vector<std::string_view>;
  EXPECT_EQ(offered_mechanisms(options, SaslChannel{true, {exporter_binding()}}),
            (Names{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-512",
                   "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  EXPECT_EQ(offered_mechanisms(options, SaslChannel{false, {}}),
            (Names{"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"}));
  SaslServerOptions no_sha1 = options;
  no_sha1.scram_hashes = {ScramHash::Sha256};
  no_sha1.allow_plain = false;
  EXPECT_EQ(offered_mechanisms(no_sha1, SaslChannel{true, {end_point_binding()}}),
            (Names{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
}

TEST(SaslFactory, RefusesWhatIsNotOffered) {
  Accounts accounts;
  SaslServerOptions options = test_options(accounts);
  const SaslChannel plain_stream{false, {}};
  const SaslChannel tls{true, {exporter_binding()}};
  EXPECT_EQ(make_server_mechanism("PLAIN", options, plain_stream).error(),
            SaslFailure::EncryptionRequired);
  EXPECT_EQ(make_server_mechanism("SCRAM-SHA-256-PLUS", options, plain_stream).error(),
            SaslFailure::InvalidMechanism);
  EXPECT_EQ(make_server_mechanism("DIGEST-MD5", options, tls).error(),
            SaslFailure::InvalidMechanism);
  EXPECT_EQ(make_server_mechanism("scram-sha-256", options, tls).error(),
            SaslFailure::InvalidMechanism);
  EXPECT_EQ(make_server_mechanism("", options, tls).error(), SaslFailure::InvalidMechanism);
  options.scram_hashes = {ScramHash::Sha256};
  options.allow_plain = false;
  EXPECT_EQ(make_server_mechanism("SCRAM-SHA-1", options, tls).error(),
            SaslFailure::InvalidMechanism);
  EXPECT_EQ(make_server_mechanism("PLAIN", options, tls).error(), SaslFailure::InvalidMechanism);
  for (const std::string_view name : offered_mechanisms(options, tls)) {
    auto mechanism = make_server_mechanism(name, options, tls);
    ASSERT_TRUE(mechanism.ok()) << name;
    EXPECT_EQ((*mechanism)->name(), name);
  }
}

}  // namespace
}  // namespace tern::xmpp::sasl
