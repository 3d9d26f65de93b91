// SPDX-License-Identifier: MIT
// Every way a SCRAM exchange fails on the server, with the condition and text each one gets:
// wrong password, unknown user (indistinguishable from a wrong password), nonce, proof, gs2
// header, channel binding (downgrade, mismatch, unknown type), extensions, syntax, base64, empty
// messages and messages out of order.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/unit/xmpp/sasl_test_util.h"
#include "xmpp/base64.h"
#include "xmpp/sasl/scram.h"

namespace tern::xmpp::sasl {
namespace {

using testing::Accounts;
using testing::end_point_binding;
using testing::exporter_binding;
using testing::test_options;

const Step kMalformed = Step::fail(SaslFailure::MalformedRequest);

class ScramFailure : public ::testing::Test {
 protected:
  void SetUp() override { accounts_.add("user", "pencil", ScramHash::Sha256); }

  std::unique_ptr<ScramServer> server(bool plus = false, SaslChannel channel = {true, {}},
                                      bool types_announced = false) {
    SaslServerOptions options = test_options(accounts_);
    options.fixed_nonce = "SRV";
    options.types_announced = types_announced;
    return std::make_unique<ScramServer>(ScramHash::Sha256, plus, options, std::move(channel));
  }

  // The client-final a real client sends after `first` got `challenge`.
  static std::string final_for(const Step& challenge, std::string_view password = "pencil",
                               ScramClientOptions options = {}) {
    options.fixed_nonce = "CLI";
    ScramClient client(ScramHash::Sha256, "user", std::string(password), options);
    EXPECT_TRUE(client.client_first().ok());
    return client.client_final(challenge.data).value_or("");
  }

  // Starts a server with "n,,n=user,r=CLI" and returns it with its challenge.
  std::unique_ptr<ScramServer> started(Step& challenge) {
    auto s = server();
    challenge = s->start("n,,n=user,r=CLI");
    EXPECT_TRUE(challenge.is_challenge()) << challenge.text;
    return s;
  }

  Accounts accounts_;
};

bool same_condition(const Step& step, SaslFailure condition) {
  return step.is_failure() && step.failure == condition;
}

TEST_F(ScramFailure, EmptyMessages) {
  EXPECT_TRUE(same_condition(server()->start(""), SaslFailure::MalformedRequest));
  Step challenge;
  auto s = started(challenge);
  EXPECT_TRUE(same_condition(s->next(""), SaslFailure::MalformedRequest));
  EXPECT_TRUE(s->done());
}

TEST_F(ScramFailure, WrongPassword) {
  Step challenge;
  auto s = started(challenge);
  EXPECT_EQ(s->next(final_for(challenge, "pencil2")),
            Step::fail(SaslFailure::NotAuthorized, "invalid-proof"));
  EXPECT_TRUE(s->done());
  EXPECT_FALSE(s->succeeded());
  EXPECT_EQ(s->authcid(), "");
  EXPECT_EQ(s->attempted_username(), "user");  // for the log line of the failure
}

TEST_F(ScramFailure, AttemptedUsernameIsDecodedAndKnownOnlyOnceRead) {
  EXPECT_EQ(server()->attempted_username(), "");
  auto s = server();
  EXPECT_TRUE(s->start("n,,n=us=2Cer=3D,r=CLI").is_challenge());
  EXPECT_EQ(s->attempted_username(), "us,er=");
  auto bad = server();
  EXPECT_TRUE(same_condition(bad->start("n,,n=us=ZZer,r=CLI"), SaslFailure::MalformedRequest));
  EXPECT_EQ(bad->attempted_username(), "");
}

TEST_F(ScramFailure, UnknownUserIsIndistinguishable) {
  auto known = server();
  auto unknown = server();
  const Step known_challenge = known->start("n,,n=user,r=CLI");
  const Step unknown_challenge = unknown->start("n,,n=nobody,r=CLI");
  ASSERT_TRUE(unknown_challenge.is_challenge());
  // Same shape: same nonce, same salt length, same iteration count.
  EXPECT_EQ(known_challenge.data.size(), unknown_challenge.data.size());
  EXPECT_TRUE(unknown_challenge.data.starts_with("r=CLISRV,s="));
  EXPECT_TRUE(unknown_challenge.data.ends_with(",i=4096"));
  // The fake salt is stable for a name and differs between names.
  EXPECT_EQ(server()->start("n,,n=nobody,r=CLI").data, unknown_challenge.data);
  EXPECT_NE(server()->start("n,,n=nobody2,r=CLI").data, unknown_challenge.data);
  // The final failure is exactly the wrong-password failure.
  const Step wrong_password = known->next(final_for(known_challenge, "guess"));
  const Step no_such_user = unknown->next(final_for(unknown_challenge, "guess"));
  EXPECT_EQ(no_such_user, wrong_password);
  EXPECT_EQ(no_such_user, Step::fail(SaslFailure::NotAuthorized, "invalid-proof"));
}

TEST_F(ScramFailure, CredentialsForAnotherHashCountAsUnknown) {
  auto sha1 = derive_scram_credentials(ScramHash::Sha1, "pencil", "0123456789abcdef", 4096);
  accounts_.add_credentials("odd", ScramHash::Sha256, sha1.value());
  auto s = server();
  const Step challenge = s->start("n,,n=odd,r=CLI");
  ASSERT_TRUE(challenge.is_challenge());
  EXPECT_TRUE(same_condition(s->next(final_for(challenge)), SaslFailure::NotAuthorized));
}

TEST_F(ScramFailure, BadNonce) {
  for (const char* nonce : {"CLISRX", "CLI", "CLISRVX", "SRV"}) {
    Step challenge;
    auto s = started(challenge);
    std::string message = final_for(challenge);
    message.replace(message.find("r=CLISRV"), 8, std::string("r=") + nonce);
    EXPECT_TRUE(same_condition(s->next(message), SaslFailure::NotAuthorized)) << nonce;
  }
}

TEST_F(ScramFailure, TamperedProof) {
  Step challenge;
  auto s = started(challenge);
  std::string message = final_for(challenge);
  const std::size_t at = message.find(",p=") + 3;
  std::string proof = base64_decode(message.substr(at)).value();
  proof[5] = static_cast<char>(proof[5] ^ 1);
  EXPECT_EQ(s->next(message.substr(0, at) + base64_encode(proof)),
            Step::fail(SaslFailure::NotAuthorized, "invalid-proof"));

  auto short_proof = started(challenge);
  message = final_for(challenge);
  EXPECT_EQ(short_proof->next(message.substr(0, at) + base64_encode(proof.substr(1))),
            Step::fail(SaslFailure::NotAuthorized, "invalid-proof"));
}

TEST_F(ScramFailure, BadGs2Header) {
  for (const char* first :
       {"x,,n=user,r=CLI", "nn,,n=user,r=CLI", ",,n=user,r=CLI", "n,n=user,r=CLI", "n", "n,",
        "p,,n=user,r=CLI", "p=,,n=user,r=CLI", "p=tls exporter,,n=user,r=CLI", "n,a=,n=user,r=CLI",
        "n,b=admin,n=user,r=CLI", "n,a=ad=2xmin,n=user,r=CLI", "F,n,,n=user,r=CLI",
        "N,,n=user,r=CLI"}) {
    EXPECT_TRUE(same_condition(server()->start(first), SaslFailure::MalformedRequest)) << first;
  }
}

TEST_F(ScramFailure, YFlagIsAcceptedWhenBindingTypesWereAnnounced) {
  // XEP-0440: the client saw our types and supports none of them (slixmpp 1.8: tls-unique only).
  const Step step = server(false, {true, {exporter_binding()}}, true)->start("y,,n=user,r=CLI");
  EXPECT_TRUE(step.is_challenge());
}

TEST_F(ScramFailure, YFlagIsADowngradeWhenServerOffersPlus) {
  const Step step = server(false, {true, {exporter_binding()}})->start("y,,n=user,r=CLI");
  EXPECT_EQ(step, Step::fail(SaslFailure::NotAuthorized, "server-does-support-channel-binding"));
}

TEST_F(ScramFailure, PlusRequiresBindingAndBindingRequiresPlus) {
  const SaslChannel tls{true, {exporter_binding()}};
  EXPECT_TRUE(
      same_condition(server(true, tls)->start("n,,n=user,r=CLI"), SaslFailure::MalformedRequest));
  EXPECT_TRUE(
      same_condition(server(true, tls)->start("y,,n=user,r=CLI"), SaslFailure::MalformedRequest));
  EXPECT_EQ(server(false, tls)->start("p=tls-exporter,,n=user,r=CLI"),
            Step::fail(SaslFailure::MalformedRequest, "channel-binding-not-supported"));
}

TEST_F(ScramFailure, UnknownChannelBindingType) {
  const SaslChannel tls{true, {exporter_binding()}};
  for (const char* first : {"p=tls-unique,,n=user,r=CLI", "p=tls-server-end-point,,n=user,r=CLI",
                            "p=TLS-EXPORTER,,n=user,r=CLI"}) {
    EXPECT_EQ(server(true, tls)->start(first),
              Step::fail(SaslFailure::MalformedRequest, "unsupported-channel-binding-type"));
  }
}

TEST_F(ScramFailure, ChannelBindingMismatch) {
  const SaslChannel tls{true, {exporter_binding(), end_point_binding()}};
  const Step mismatch = Step::fail(SaslFailure::NotAuthorized, "channel-bindings-dont-match");
  // The client's TLS session is not the server's (a man in the middle).
  ScramClientOptions options;
  options.channel_binding = ChannelBindingData{"tls-exporter", std::string(32, '\x01')};
  auto s = server(true, tls);
  Step challenge = s->start("p=tls-exporter,,n=user,r=CLI");
  ASSERT_TRUE(challenge.is_challenge()) << challenge.text;
  EXPECT_EQ(s->next(final_for(challenge, "pencil", options)), mismatch);
  // The right data under the other type name.
  options.channel_binding = ChannelBindingData{"tls-server-end-point", exporter_binding().data};
  s = server(true, tls);
  challenge = s->start("p=tls-server-end-point,,n=user,r=CLI");
  EXPECT_EQ(s->next(final_for(challenge, "pencil", options)), mismatch);
  // c= that does not repeat the gs2 header sent in client-first.
  s = server();
  challenge = s->start("n,,n=user,r=CLI");
  std::string message = final_for(challenge);
  message.replace(0, 6, "c=eSws");  // "y,,"
  EXPECT_EQ(s->next(message), mismatch);
}

TEST_F(ScramFailure, Extensions) {
  EXPECT_EQ(server()->start("n,,m=foo,n=user,r=CLI"),
            Step::fail(SaslFailure::MalformedRequest, "extensions-not-supported"));
  // An unknown optional extension is ignored.
  EXPECT_TRUE(server()->start("n,,n=user,r=CLI,x=ext").is_challenge());
  // ... also in client-final, where it is covered by the proof (so this one is wrong).
  Step challenge;
  auto s = started(challenge);
  std::string message = final_for(challenge);
  message.insert(message.find(",p="), ",x=ext");
  EXPECT_EQ(s->next(message), Step::fail(SaslFailure::NotAuthorized, "invalid-proof"));
}

TEST_F(ScramFailure, MalformedClientFirst) {
  const std::vector<std::string> messages = {
      "n,,",
      "n,,n=user",
      "n,,r=CLI,n=user",
      "n,,n=user,r=",
      "n,,n=,r=CLI",
      "n,,n=user,r=C I",
      "n,,n=user,r=CLI,",
      "n,,n=user,,r=CLI",
      "n,,n=user,r=CLI,1=x",
      "n,,n=user,r=CLI,xx",
      "n,,n=us=2cer,r=CLI",
      "n,,n=us=er,r=CLI",
      "n,,n=user=,r=CLI",
      "n,,n=\xFFuser,r=CLI",
      "n,,n=user,r=CL\xC3\xA9",
      std::string("n,,n=us\0er,r=CLI", 16),
      "n,,x=user,r=CLI",
      "n,,n=user,r=CLI,x",
      "n,,n=user,r=CLI,x=",
      "n,,n=user,r=" + std::string(kMaxScramMessageBytes, 'a')};
  for (const std::string& message : messages) {
    EXPECT_TRUE(same_condition(server()->start(message), SaslFailure::MalformedRequest)) << message;
  }
}

TEST_F(ScramFailure, MalformedClientFinal) {
  const std::vector<std::string> messages = {"c=biws,r=CLISRV",
                                             "r=CLISRV,c=biws,p=AAAA",
                                             "c=biws,p=AAAA,r=CLISRV",
                                             "c=biws,r=CLISRV,p=",
                                             "c=biws,r=CLISRV,,p=AAAA",
                                             "c=biws,r=CLISRV,p=AAAA,",
                                             "c=biws",
                                             "biws,r=CLISRV,p=AAAA",
                                             "c=biws,r=CLISRV,p",
                                             std::string("c=biws,r=CLI\0SRV,p=AAAA", 23),
                                             "c=biws,r=CLISRV,p=" + std::string(9000, 'A')};
  for (const std::string& message : messages) {
    Step challenge;
    auto s = started(challenge);
    EXPECT_TRUE(same_condition(s->next(message), SaslFailure::MalformedRequest)) << message;
  }
}

TEST_F(ScramFailure, BadBase64) {
  Step challenge;
  auto s = started(challenge);
  std::string good = final_for(challenge);
  const std::string proof = good.substr(good.find(",p="));
  const Step incorrect = Step::fail(SaslFailure::IncorrectEncoding, "invalid-encoding");
  const std::vector<std::string> messages = {
      "c=bi!s,r=CLISRV" + proof,  "c=biw,r=CLISRV" + proof, "c=biws====,r=CLISRV" + proof,
      "c= biws,r=CLISRV" + proof, "c=biws,r=CLISRV,p=abc",  "c=biws,r=CLISRV,p=ab=c",
      "c=biws,r=CLISRV,p=Zh=="};
  for (const std::string& message : messages) {
    auto fresh = started(challenge);
    EXPECT_EQ(fresh->next(message), incorrect) << message;
  }
  EXPECT_TRUE(s->next(good).is_success());
}

TEST_F(ScramFailure, MessagesOutOfOrder) {
  // A response before <auth/>.
  auto s = server();
  EXPECT_TRUE(same_condition(s->next("n,,n=user,r=CLI"), SaslFailure::MalformedRequest));
  EXPECT_TRUE(s->done());
  EXPECT_TRUE(same_condition(s->start("n,,n=user,r=CLI"), SaslFailure::MalformedRequest));

  // A second <auth/> in the middle of the exchange.
  Step challenge;
  s = started(challenge);
  EXPECT_TRUE(same_condition(s->start("n,,n=user,r=CLI"), SaslFailure::MalformedRequest));
  EXPECT_TRUE(same_condition(s->next(final_for(challenge)), SaslFailure::MalformedRequest));

  // Anything after success fails but does not undo it.
  s = started(challenge);
  ASSERT_TRUE(s->next(final_for(challenge)).is_success());
  EXPECT_TRUE(same_condition(s->next(""), SaslFailure::MalformedRequest));
  EXPECT_TRUE(same_condition(s->start_without_response(), SaslFailure::MalformedRequest));
  EXPECT_TRUE(s->succeeded());
  EXPECT_EQ(s->authcid(), "user");

  // client-final sent as the first message.
  EXPECT_TRUE(
      same_condition(server()->start("c=biws,r=CLISRV,p=AAAA"), SaslFailure::MalformedRequest));
}

TEST_F(ScramFailure, Abort) {
  Step challenge;
  auto s = started(challenge);
  EXPECT_EQ(s->abort(), Step::fail(SaslFailure::Aborted));
  EXPECT_TRUE(s->done());
  EXPECT_FALSE(s->succeeded());
  EXPECT_TRUE(same_condition(s->next(final_for(challenge)), SaslFailure::MalformedRequest));
}

}  // namespace
}  // namespace tern::xmpp::sasl
