// SPDX-License-Identifier: MIT
// SASL failure names, Step constructors, the exchange order checks of ServerMechanism, and the
// mechanism factory (RFC 6120 §6).
#include "xmpp/sasl/mechanism.h"

#include <algorithm>
#include <array>
#include <utility>

#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram.h"

namespace tern::xmpp::sasl {
namespace {

constexpr std::array<std::string_view, kSaslFailureCount> kNames = {
    "aborted",
    "account-disabled",
    "credentials-expired",
    "encryption-required",
    "incorrect-encoding",
    "invalid-authzid",
    "invalid-mechanism",
    "malformed-request",
    "mechanism-too-weak",
    "not-authorized",
    "temporary-auth-failure",
};

constexpr std::array<ScramHash, 3> kHashPreference = {ScramHash::Sha512, ScramHash::Sha256,
                                                      ScramHash::Sha1};

bool offers_hash(const SaslServerOptions& options, ScramHash hash) {
  return std::find(options.scram_hashes.begin(), options.scram_hashes.end(), hash) !=
         options.scram_hashes.end();
}

}  // namespace

std::string_view condition_name(SaslFailure condition) {
  return kNames[static_cast<std::size_t>(condition)];
}

std::optional<SaslFailure> parse_sasl_failure(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<SaslFailure>(i);
    }
  }
  return std::nullopt;
}

Step Step::challenge(std::string data) {
  return Step{StepKind::Challenge, std::move(data), SaslFailure::NotAuthorized, {}};
}

Step Step::success(std::string additional_data) {
  return Step{StepKind::Success, std::move(additional_data), SaslFailure::NotAuthorized, {}};
}

Step Step::fail(SaslFailure condition, std::string text) {
  return Step{StepKind::Failure, {}, condition, std::move(text)};
}

Step ServerMechanism::start(std::string_view initial_response) {
  if (state_ != State::Idle) {
    return out_of_order();
  }
  return finish(first(initial_response));
}

Step ServerMechanism::start_without_response() {
  if (state_ != State::Idle) {
    return out_of_order();
  }
  state_ = State::AwaitingFirst;
  return Step::challenge({});
}

Step ServerMechanism::next(std::string_view response) {
  if (state_ == State::AwaitingFirst) {
    return finish(first(response));
  }
  if (state_ != State::InProgress) {
    return out_of_order();
  }
  return finish(step(response));
}

Step ServerMechanism::abort() {
  if (state_ != State::Succeeded) {
    state_ = State::Failed;
  }
  return Step::fail(SaslFailure::Aborted);
}

void ServerMechanism::set_identity(std::string authcid, std::string authzid) {
  authcid_ = std::move(authcid);
  authzid_ = std::move(authzid);
}

Step ServerMechanism::finish(Step step) {
  switch (step.kind) {
    case StepKind::Challenge:
      state_ = State::InProgress;
      break;
    case StepKind::Success:
      state_ = State::Succeeded;
      break;
    case StepKind::Failure:
      state_ = State::Failed;
      authcid_.clear();
      authzid_.clear();
      break;
  }
  return step;
}

Step ServerMechanism::out_of_order() {
  if (state_ != State::Succeeded) {
    state_ = State::Failed;
  }
  return Step::fail(SaslFailure::MalformedRequest, "unexpected SASL message");
}

std::vector<std::string_view> offered_mechanisms(const SaslServerOptions& options,
                                                 const SaslChannel& channel) {
  std::vector<std::string_view> names;
  if (!channel.channel_bindings.empty()) {
    for (const ScramHash hash : kHashPreference) {
      if (offers_hash(options, hash)) {
        names.push_back(scram_mechanism_name(hash, true));
      }
    }
  }
  for (const ScramHash hash : kHashPreference) {
    if (offers_hash(options, hash)) {
      names.push_back(scram_mechanism_name(hash, false));
    }
  }
  if (options.allow_plain && channel.encrypted) {
    names.emplace_back("PLAIN");
  }
  return names;
}

Result<std::unique_ptr<ServerMechanism>, SaslFailure> make_server_mechanism(
    std::string_view name, const SaslServerOptions& options, const SaslChannel& channel) {
  if (name == "PLAIN" && options.allow_plain) {
    if (!channel.encrypted) {
      return Err(SaslFailure::EncryptionRequired);
    }
    return std::unique_ptr<ServerMechanism>(std::make_unique<PlainServer>(options));
  }
  const std::optional<ScramMechanismId> scram = parse_scram_mechanism_name(name);
  if (!scram || !offers_hash(options, scram->hash) ||
      (scram->plus && channel.channel_bindings.empty())) {
    return Err(SaslFailure::InvalidMechanism);
  }
  return std::unique_ptr<ServerMechanism>(
      std::make_unique<ScramServer>(scram->hash, scram->plus, options, channel));
}

}  // namespace tern::xmpp::sasl
