// SPDX-License-Identifier: MIT
// PLAIN (RFC 4616) on the server, checked against stored SCRAM credentials: authzid handling,
// empty fields, NUL counts, length limits, UTF-8, unknown users, OpaqueString, the factory, and
// the client helper.
#include "xmpp/sasl/plain.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xmpp/sasl_test_util.h"

namespace tern::xmpp::sasl {
namespace {

using testing::Accounts;
using testing::test_options;
using namespace std::string_literals;

class Plain : public ::testing::Test {
 protected:
  void SetUp() override { accounts_.add("juliet", "r0m30myr0m30", ScramHash::Sha256); }
  Step run(const std::string& message) {
    PlainServer server(test_options(accounts_));
    return server.start(message);
  }
  bool malformed(const std::string& message) {
    const Step step = run(message);
    return step.is_failure() && step.failure == SaslFailure::MalformedRequest;
  }
  Accounts accounts_;
};

TEST_F(Plain, Success) {
  PlainServer server(test_options(accounts_));
  EXPECT_EQ(server.name(), "PLAIN");
  EXPECT_EQ(server.start("\0juliet\0r0m30myr0m30"s), Step::success());
  EXPECT_TRUE(server.succeeded());
  EXPECT_EQ(server.authcid(), "juliet");
  EXPECT_EQ(server.authzid(), "");
}

TEST_F(Plain, AuthzidIsReportedAsSent) {
  PlainServer server(test_options(accounts_));
  EXPECT_TRUE(server.start("juliet@example.com/balcony\0juliet\0r0m30myr0m30"s).is_success());
  EXPECT_EQ(server.authcid(), "juliet");
  EXPECT_EQ(server.authzid(), "juliet@example.com/balcony");
}

TEST_F(Plain, WrongPasswordAndUnknownUserLookAlike) {
  const Step wrong = run("\0juliet\0r0m30"s);
  EXPECT_EQ(wrong, Step::fail(SaslFailure::NotAuthorized));
  EXPECT_EQ(run("\0romeo\0r0m30myr0m30"s), wrong);
  EXPECT_EQ(run("\0Juliet\0r0m30myr0m30"s), wrong);      // without a prep hook names are exact
  EXPECT_EQ(run("\0juliet\0r0m30myr0m30\x07"s), wrong);  // OpaqueString refuses controls
}

TEST_F(Plain, AttemptedUsernameIsKeptAfterAFailureButNeverThePassword) {
  PlainServer server(test_options(accounts_));
  EXPECT_EQ(server.start("\0juliet\0wrong-password"s), Step::fail(SaslFailure::NotAuthorized));
  EXPECT_EQ(server.authcid(), "");
  EXPECT_EQ(server.attempted_username(), "juliet");
  PlainServer malformed(test_options(accounts_));
  EXPECT_TRUE(malformed.start("juliet\0wrong-password"s).is_failure());
  EXPECT_EQ(malformed.attempted_username(), "");
}

TEST_F(Plain, EmptyFields) {
  EXPECT_TRUE(malformed("\0juliet\0"s));
  EXPECT_TRUE(malformed("\0\0r0m30myr0m30"s));
  EXPECT_TRUE(malformed("\0\0"s));
  EXPECT_TRUE(malformed(""));
  EXPECT_TRUE(run("\0juliet\0r0m30myr0m30"s).is_success());  // an empty authzid is "none"
}

TEST_F(Plain, NulCount) {
  EXPECT_TRUE(malformed("julietr0m30myr0m30"));
  EXPECT_TRUE(malformed("juliet\0r0m30myr0m30"s));
  EXPECT_TRUE(malformed("\0juliet\0r0m30\0myr0m30"s));
  EXPECT_TRUE(malformed("\0juliet\0r0m30myr0m30\0"s));
  EXPECT_TRUE(malformed("\0\0juliet\0r0m30myr0m30"s));
}

TEST_F(Plain, LengthLimits) {
  const std::string limit(kMaxPlainFieldBytes, 'a');
  const std::string over(kMaxPlainFieldBytes + 1, 'a');
  EXPECT_TRUE(malformed("\0"s + over + "\0pw"s));
  EXPECT_TRUE(malformed("\0juliet\0"s + over));
  EXPECT_TRUE(malformed(over + "\0juliet\0r0m30myr0m30"s));
  accounts_.add("long", limit, ScramHash::Sha256);
  EXPECT_TRUE(run(limit + "\0long\0"s + limit).is_success());
}

TEST_F(Plain, InvalidUtf8) {
  EXPECT_TRUE(malformed("\0jul\xFFiet\0r0m30myr0m30"s));
  EXPECT_TRUE(malformed("\0juliet\0r0m30\xC0\xAF"s));
  EXPECT_TRUE(malformed("\xED\xA0\x80\0juliet\0r0m30myr0m30"s));
}

TEST_F(Plain, PasswordIsPreparedWithOpaqueString) {
  accounts_.add("nurse", "pass word", ScramHash::Sha256);
  EXPECT_TRUE(run("\0nurse\0pass\xC2\xA0word"s).is_success());
}

TEST_F(Plain, AnyStoredHashWorks) {
  accounts_.add("sha1only", "secret", ScramHash::Sha1);
  accounts_.add("sha512only", "secret", ScramHash::Sha512);
  EXPECT_TRUE(run("\0sha1only\0secret"s).is_success());
  EXPECT_TRUE(run("\0sha512only\0secret"s).is_success());
}

TEST_F(Plain, UsernamePrepHook) {
  SaslServerOptions options = test_options(accounts_);
  options.prepare_username = [](std::string_view name) -> std::optional<std::string> {
    if (name.find(' ') != std::string_view::npos) {
      return std::nullopt;
    }
    std::string lower(name);
    for (char& c : lower) {
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return lower;
  };
  PlainServer server(options);
  EXPECT_TRUE(server.start("\0JULIET\0r0m30myr0m30"s).is_success());
  EXPECT_EQ(server.authcid(), "juliet");
  PlainServer refused(options);
  EXPECT_EQ(refused.start("\0jul iet\0r0m30myr0m30"s), Step::fail(SaslFailure::NotAuthorized));
}

TEST_F(Plain, WithoutInitialResponseAndOutOfOrder) {
  PlainServer server(test_options(accounts_));
  EXPECT_EQ(server.start_without_response(), Step::challenge(""));
  EXPECT_TRUE(server.next("\0juliet\0r0m30myr0m30"s).is_success());
  const Step again = server.next("\0juliet\0r0m30myr0m30"s);
  EXPECT_TRUE(again.is_failure());
  EXPECT_EQ(again.failure, SaslFailure::MalformedRequest);
  EXPECT_TRUE(server.succeeded());

  PlainServer early(test_options(accounts_));
  EXPECT_TRUE(early.next("\0juliet\0r0m30myr0m30"s).is_failure());
  EXPECT_TRUE(early.start("\0juliet\0r0m30myr0m30"s).is_failure());
  EXPECT_EQ(early.authcid(), "");
}

TEST_F(Plain, ThroughTheFactoryOnlyWhenEncrypted) {
  const SaslServerOptions options = test_options(accounts_);
  auto mechanism = make_server_mechanism("PLAIN", options, SaslChannel{true, {}});
  ASSERT_TRUE(mechanism.ok());
  EXPECT_TRUE((*mechanism)->start("\0juliet\0r0m30myr0m30"s).is_success());
  EXPECT_EQ(make_server_mechanism("PLAIN", options, SaslChannel{false, {}}).error(),
            SaslFailure::EncryptionRequired);
}

TEST(PlainClient, InitialResponse) {
  EXPECT_EQ(plain_initial_response("juliet", "r0m30"), "\0juliet\0r0m30"s);
  EXPECT_EQ(plain_initial_response("juliet", "r0m30", "juliet@example.com"),
            "juliet@example.com\0juliet\0r0m30"s);
  EXPECT_FALSE(plain_initial_response("", "r0m30").has_value());
  EXPECT_FALSE(plain_initial_response("juliet", "").has_value());
  EXPECT_FALSE(plain_initial_response("jul\0iet"s, "r0m30").has_value());
  EXPECT_FALSE(plain_initial_response("juliet", "r0\0m30"s).has_value());
  EXPECT_FALSE(plain_initial_response("juliet", "r0m30", "a\0b"s).has_value());
  EXPECT_FALSE(
      plain_initial_response("juliet", std::string(kMaxPlainFieldBytes + 1, 'x')).has_value());
}

}  // namespace
}  // namespace tern::xmpp::sasl
