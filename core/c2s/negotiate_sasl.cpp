// SPDX-License-Identifier: MIT
// SASL negotiation (RFC 6120 §6): the mechanisms feature (plus XEP-0440 channel-binding types),
// <auth/>, <response/>, <abort/>, every <failure/> condition, the retry limit and the restart.
// Outcomes are logged with the mechanism and the username, never with a SASL payload (the
// password, a SCRAM proof or nonce): those are only ever decoded and handed to the mechanism.
#include "core/c2s/c2s_session.h"
#include "log/logger.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/precis/jid_prep.h"

namespace tern::core::c2s {

namespace ns = xmpp::ns;
using xmpp::sasl::SaslFailure;

namespace {

const log::Logger kLog("c2s");

xmpp::sasl::SaslChannel channel_of(const SessionIo& io) {
  return xmpp::sasl::SaslChannel{io.encrypted(), io.channel_bindings()};
}

// RFC 6120 §6.4.2: "=" is an empty response, no text at all is no response.
std::optional<std::string> decode_payload(const xmpp::Element& element) {
  std::string_view text = element.text();
  if (text == "=") {
    return std::string();
  }
  return xmpp::base64_decode(text);
}

}  // namespace

void C2sSession::add_sasl_features(xmpp::Element& features) {
  xmpp::sasl::SaslChannel channel = channel_of(*io_);
  xmpp::Element& mechanisms = features.add_child("mechanisms", ns::kSasl);
  for (std::string_view name :
       xmpp::sasl::offered_mechanisms(host_.sasl_options(domain_), channel)) {
    mechanisms.add_child("mechanism").set_text(name);
  }
  if (!channel.channel_bindings.empty()) {
    // XEP-0440: which channel-binding types the client may use with -PLUS.
    xmpp::Element& cb = features.add_child("sasl-channel-binding", ns::kSaslChannelBinding);
    for (const auto& binding : channel.channel_bindings) {
      cb.add_child("channel-binding").set_attr("type", binding.type);
    }
  }
}

void C2sSession::handle_sasl(const xmpp::Element& element) {
  std::string_view name = element.name();
  if (name == "auth" && state_ == SessionState::Negotiating) {
    mechanism_name_ = element.attr("mechanism");
    if (options_.require_encryption && !io_->encrypted()) {
      return sasl_failure(SaslFailure::EncryptionRequired);
    }
    auto mechanism = xmpp::sasl::make_server_mechanism(
        element.attr("mechanism"), host_.sasl_options(domain_), channel_of(*io_));
    if (!mechanism) {
      return sasl_failure(mechanism.error());
    }
    mechanism_ = std::move(mechanism).value();
    state_ = SessionState::Authenticating;
    if (element.first_node() == nullptr) {
      return sasl_step(mechanism_->start_without_response());
    }
    std::optional<std::string> payload = decode_payload(element);
    if (!payload) {
      return sasl_failure(SaslFailure::IncorrectEncoding);
    }
    return sasl_step(mechanism_->start(*payload));
  }
  if (name == "response" && state_ == SessionState::Authenticating) {
    std::optional<std::string> payload = decode_payload(element);
    if (!payload) {
      return sasl_failure(SaslFailure::IncorrectEncoding);
    }
    return sasl_step(mechanism_->next(*payload));
  }
  if (name == "abort" && state_ == SessionState::Authenticating) {
    return sasl_step(mechanism_->abort());
  }
  // An element out of order (a <response/> with no exchange, a second <auth/>…).
  sasl_failure(SaslFailure::MalformedRequest, "unexpected <" + std::string(name) + "/>");
}

void C2sSession::sasl_step(const xmpp::sasl::Step& step) {
  if (step.is_challenge()) {
    xmpp::StanzaPtr challenge = xmpp::Stanza::create("challenge", ns::kSasl);
    challenge->root().set_text(xmpp::base64_encode(step.data));
    write(challenge->root());
    return;
  }
  // The credentials were checked: while the account or the address is locked out, the answer is
  // the same whether they were right or not, so guessing learns nothing (AuthThrottle).
  bool checked = !step.is_failure() || step.failure == SaslFailure::NotAuthorized;
  AuthThrottle* throttle = host_.auth_throttle();
  if (checked && throttle != nullptr) {
    // Prepared (RFC 7622), so that "Juliet" and "juliet" count as the one account they are.
    std::string account;
    if (xmpp::precis::prepare_localpart(mechanism_->attempted_username(), account) !=
        xmpp::precis::PrepStatus::Ok) {
      account = mechanism_->attempted_username();
    }
    auto now = AuthThrottle::Clock::now();
    if (auto locked = throttle->locked_for(account, address_of(peer_), now); locked.count() > 0) {
      kLog.warn("limit.refused", "login refused: too many failed attempts",
                {{"mechanism", mechanism_name_},
                 {"user", account},
                 {"peer", peer_},
                 {"locked_ms", static_cast<std::int64_t>(locked.count())},
                 {"conn", log_connection_}});
      std::string text = "too many failed attempts; try again in " +
                         std::to_string((locked.count() + 999) / 1000) + " s";
      return sasl_failure(SaslFailure::TemporaryAuthFailure, text);
    }
    if (step.is_failure()) {
      throttle->failed(account, address_of(peer_), now);
    } else {
      throttle->succeeded(account);
    }
  }
  if (step.is_failure()) {
    return sasl_failure(step.failure, step.text);
  }
  // Success: the authorization identity, if any, must be the account itself (RFC 6120 §6.4.6).
  auto jid = xmpp::Jid::from_parts(mechanism_->authcid(), domain_, {});
  if (!jid) {
    return sasl_failure(SaslFailure::NotAuthorized);
  }
  std::string_view authzid = mechanism_->authzid();
  if (!authzid.empty()) {
    auto wanted = xmpp::Jid::parse(authzid);
    if (!wanted || *wanted != *jid) {
      return sasl_failure(SaslFailure::InvalidAuthzid);
    }
  }
  xmpp::StanzaPtr success = xmpp::Stanza::create("success", ns::kSasl);
  if (!step.data.empty()) {
    success->root().set_text(xmpp::base64_encode(step.data));
  }
  write(success->root());
  counters_->logins[Counters::mechanism_index(mechanism_->name())].add();
  kLog.info("auth.success", "authenticated",
            {{"mechanism", mechanism_->name()},
             {"jid", jid->full()},
             {"conn", log_connection_},
             {"peer", peer_}});
  jid_ = std::move(jid).value();
  mechanism_.reset();
  state_ = SessionState::ExpectHeader;
  // RFC 6120 §6.4.6: both sides restart the stream; bytes after this element are the new header.
  // Nothing of the new stream has been sent: an error before its header still needs one first.
  codec_->request_restart();
  header_sent_ = false;
  codec_->set_limits(options_.limits);  // authenticated: the full stanza size from now on
}

void C2sSession::sasl_failure(SaslFailure failure, std::string_view text) {
  // Wrong credentials are what an operator (or fail2ban) looks for; the other conditions happen
  // on the way to a mechanism that works, too (see below).
  kLog.write(failure == SaslFailure::NotAuthorized ? log::Level::Warn : log::Level::Info,
             "auth.failure", "authentication failed",
             {{"mechanism", mechanism_name_},
              {"user", mechanism_ ? std::string_view(mechanism_->attempted_username())
                                  : std::string_view()},
              {"condition", xmpp::sasl::condition_name(failure)},
              {"text", text},
              {"conn", log_connection_},
              {"peer", peer_}});
  const std::size_t mechanism = Counters::mechanism_index(mechanism_name_);
  (failure == SaslFailure::NotAuthorized ? counters_->logins_refused[mechanism]
                                         : counters_->logins_failed_other[mechanism])
      .add();
  xmpp::StanzaPtr element = xmpp::Stanza::create("failure", ns::kSasl);
  element->root().add_child(xmpp::sasl::condition_name(failure));
  if (!text.empty()) {
    element->root().add_child("text").set_attr("lang", ns::kXml, "en").set_text(text);
  }
  write(element->root());
  mechanism_.reset();
  state_ = SessionState::Negotiating;
  // The retry limit is about guessing passwords, so only wrong credentials count towards it.
  // Clients also fail other ways on the road to a mechanism that works (slixmpp 1.8 tries every
  // -PLUS mechanism with tls-unique, which TLS 1.3 does not have); those get a wider limit.
  bool wrong_credentials = failure == SaslFailure::NotAuthorized;
  if ((wrong_credentials && ++auth_failures_ >= options_.max_auth_failures) ||
      ++sasl_attempts_ >= kMaxSaslAttempts) {
    close(xmpp::StreamError::policy_violation("too many failed authentication attempts"));
  }
}

}  // namespace tern::core::c2s
