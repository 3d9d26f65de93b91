// SPDX-License-Identifier: MIT
// XEP-0077 in-band registration: creating an account before authentication (only when
// [modules.register] allow_registration = true, and only over TLS), changing one's password and
// deleting one's account once authenticated. With the phone module enabled, the registration
// form also carries its sign-up form (a XEP-0004 data form: number, PIN, password), and a
// submission of it is the phone module's (modules/services/phone_service.h).
//
// Credentials are derived on the writer thread, inside the write that stores them: PBKDF2 takes
// milliseconds, which an event loop serving thousands of sessions must not spend. The password
// itself is never stored or logged.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "modules/services/phone_service.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"
#include "xmpp/data_form.h"
#include "xmpp/presence.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;
using Clock = std::chrono::steady_clock;

// Registrations allowed per minute on one worker: a flood of sign-ups is refused with
// resource-constraint instead of filling the store.
class SignupThrottle {
 public:
  explicit SignupThrottle(std::int64_t per_minute) : per_minute_(per_minute) {}
  bool allow() {
    if (per_minute_ == 0) {
      return true;
    }
    const Clock::time_point now = Clock::now();
    while (!recent_.empty() && now - recent_.front() > std::chrono::minutes(1)) {
      recent_.pop_front();
    }
    if (static_cast<std::int64_t>(recent_.size()) >= per_minute_) {
      return false;
    }
    recent_.push_back(now);
    return true;
  }

 private:
  std::int64_t per_minute_;
  std::deque<Clock::time_point> recent_;
};

std::optional<std::string> child_text(const xmpp::Element& query, std::string_view name) {
  const xmpp::Element* child = query.child(name, ns::kRegister);
  if (child == nullptr) {
    return std::nullopt;
  }
  return std::string(child->text());
}

// The username and password of a sign-up: from the submitted data form when there is one
// (XEP-0077 §4, its fields named as the plain ones), else from the plain fields.
std::pair<std::optional<std::string>, std::optional<std::string>> submitted_credentials(
    const xmpp::Element& query) {
  if (const xmpp::Element* x = query.child("x", "jabber:x:data")) {
    auto form = xmpp::read_form(*x);
    if (!form) {
      return {};
    }
    auto field = [&](std::string_view var) -> std::optional<std::string> {
      auto value = form->value(var);
      return value ? std::optional<std::string>(*value) : std::nullopt;
    };
    return {field("username"), field("password")};
  }
  return {child_text(query, "username"), child_text(query, "password")};
}

class Register final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    roster_ = ctx.service<roster::RosterService>("roster");    // null without rosters
    phone_ = ctx.service<phone::PhoneSignupService>("phone");  // null without phone sign-up
    log_ = ctx.log();
    allow_registration_ = ctx.options().boolean("allow_registration", false);
    throttle_.emplace(ctx.options().integer("registrations_per_minute", 10, 0, 1'000'000));
    ctx.add_disco_feature(ns::kRegister);
    if (allow_registration_ || phone_ != nullptr) {
      ctx.add_stream_feature({ns::kRegisterFeature, "register"}, StreamStage::BeforeAuthentication);
    }
    const QName query{ns::kRegister, "query"};
    ctx.on_iq(IqType::Get, query, Addressed::Unauthenticated,
              [this](IqRequest& req) { form(req); });
    ctx.on_iq(IqType::Set, query, Addressed::Unauthenticated,
              [this](IqRequest& req) { sign_up(req); });
    // Once authenticated, the account is the sender's own: addressed to the server (XEP-0077's
    // examples) or, without 'to', to the account itself (RFC 6120 §10.3.3).
    for (Addressed addressed : {Addressed::ToServer, Addressed::ToAccount}) {
      ctx.on_iq(IqType::Get, query, addressed, [](IqRequest& req) { registered_form(req); });
      ctx.on_iq(IqType::Set, query, addressed, [this](IqRequest& req) { change(req); });
    }
  }

  // A registration request to another user's account is refused: it is not the sender's.
  static bool for_someone_else(IqRequest& req) {
    // 'to' parsed and prepared (IqRequest::to): the server itself, in any spelling, is fine.
    const std::optional<xmpp::Jid>& to = req.to();
    if (req.iq().attr("to").empty() || req.to_own_account() ||
        (to && !to->has_local() && !to->has_resource() && to->domain() == req.from().domain())) {
      return false;
    }
    req.reply_error(xmpp::StanzaError::forbidden("only your own account"));
    return true;
  }

 private:
  // §3.1: the fields a new account needs.
  // With phone sign-up the form also carries its data form (XEP-0077 §6): a client that renders
  // forms shows that one; the plain fields are there only when usernames may be chosen.
  void form(IqRequest& req) const {
    if (!allow_registration_ && phone_ == nullptr) {
      return req.reply_error(
          xmpp::StanzaError::service_unavailable("in-band registration is disabled here"));
    }
    xmpp::Element& query = req.reply_result({ns::kRegister, "query"});
    if (allow_registration_) {
      query.add_child("instructions", ns::kRegister)
          .add_text("Choose a username and password for use with this service.");
      query.add_child("username", ns::kRegister);
      query.add_child("password", ns::kRegister);
    }
    if (phone_ != nullptr) {
      phone_->add_form(query, allow_registration_);
    }
  }

  // §3.1: an authenticated entity is registered already.
  static void registered_form(IqRequest& req) {
    if (for_someone_else(req)) {
      return;
    }
    xmpp::Element& query = req.reply_result({ns::kRegister, "query"});
    query.add_child("registered", ns::kRegister);
    query.add_child("username", ns::kRegister).add_text(req.from().local());
    query.add_child("password", ns::kRegister);
  }

  void sign_up(IqRequest& req) {
    if (phone_ != nullptr && phone_->submits_form(req.payload())) {
      return phone_->sign_up(req);
    }
    if (!allow_registration_) {
      return req.reply_error(
          xmpp::StanzaError::service_unavailable("in-band registration is disabled here"));
    }
    const xmpp::Element& query = req.payload();
    if (query.child("remove", ns::kRegister) != nullptr) {
      return req.reply_error(xmpp::StanzaError::not_authorized("authenticate first"));
    }
    auto [username, password] = submitted_credentials(query);
    if (!username || !password || username->empty() || password->empty()) {
      return req.reply_error(
          xmpp::StanzaError::not_acceptable("a username and a password are required"));
    }
    if (phone_ != nullptr && phone_->reserves_username(*username)) {
      return req.reply_error(xmpp::StanzaError::not_acceptable(
          "a username of digits is a phone number: sign up with the number instead"));
    }
    auto jid = xmpp::Jid::from_parts(*username, ctx_->host(), "");
    if (!jid) {
      return req.reply_error(xmpp::StanzaError::not_acceptable(
          "invalid username: " + std::string(xmpp::describe(jid.error()))));
    }
    if (!throttle_->allow()) {
      log_.warn("limit.refused", "registration refused: registrations_per_minute reached",
                {{"condition", "resource-constraint"}});
      return req.reply_error(
          xmpp::StanzaError::resource_constraint("too many registrations; try again later"));
    }
    std::shared_ptr<DeferredIq> answer = req.defer();
    const std::string bare(jid->bare_view());
    ctx_->create_account(
        bare, *password, [answer, log = log_, bare](StoreStatus status, AccountChange change) {
          if (!status) {
            return answer->reply_error(xmpp::StanzaError::internal_server_error());
          }
          switch (change) {
            case AccountChange::Done:
              log.info("account.registered", "account created in-band", {{"jid", bare}});
              return answer->reply_result();
            case AccountChange::Exists:
              return answer->reply_error(
                  xmpp::StanzaError::conflict("the username is already taken"));
            case AccountChange::BadPassword:
              return answer->reply_error(
                  xmpp::StanzaError::not_acceptable("the password cannot be used"));
          }
        });
  }

  // §3.2 cancellation and §3.3 password change, for the authenticated account.
  void change(IqRequest& req) {
    if (for_someone_else(req)) {
      return;
    }
    const xmpp::Element& query = req.payload();
    if (query.child("remove", ns::kRegister) != nullptr) {
      return remove_account(req);
    }
    auto username = child_text(query, "username");
    auto password = child_text(query, "password");
    if (!password || password->empty()) {
      return req.reply_error(xmpp::StanzaError::bad_request("already registered"));
    }
    if (username && *username != req.from().local()) {
      return req.reply_error(
          xmpp::StanzaError::not_authorized("the username is not the one authenticated"));
    }
    std::shared_ptr<DeferredIq> answer = req.defer();
    const std::string bare(req.from().bare_view());
    ctx_->set_password(bare, *password,
                       [answer, log = log_, bare](StoreStatus status, AccountChange change) {
                         if (!status) {
                           return answer->reply_error(xmpp::StanzaError::internal_server_error());
                         }
                         if (change == AccountChange::BadPassword) {
                           return answer->reply_error(
                               xmpp::StanzaError::not_acceptable("the password cannot be used"));
                         }
                         log.info("account.password_changed", "password changed", {{"jid", bare}});
                         answer->reply_result();
                       });
  }

  // §3.2: the account goes with its data; contacts are told the subscriptions ended (RFC 6121
  // §3.2–3.3 presence), then every session of the account gets <not-authorized/>.
  void remove_account(IqRequest& req) {
    std::shared_ptr<DeferredIq> answer = req.defer();
    // The roster as it is now: who must hear that the subscriptions ended. (A change that
    // commits before the deletion is not told; the deletion itself is one commit.)
    auto contacts = std::make_shared<std::vector<roster::RosterItem>>();
    std::string bare(req.from().bare_view());
    if (auto txn = ctx_->read(); txn && roster_ != nullptr) {
      *contacts = roster_->items(*txn, bare);
    }
    ctx_->delete_account(bare, [this, answer, contacts, bare](bool ok) {
      if (!ok) {
        return answer->reply_error(xmpp::StanzaError::internal_server_error());
      }
      log_.info("account.deleted", "account deleted by its owner", {{"jid", bare}});
      answer->reply_result();
      for (const roster::RosterItem& item : *contacts) {
        if (roster::has_from(item.subscription) || item.pending_in) {
          ctx_->route(xmpp::make_presence(bare, item.jid, "unsubscribed"));
        }
        if (roster::has_to(item.subscription) || item.ask) {
          ctx_->route(xmpp::make_presence(bare, item.jid, "unsubscribe"));
        }
      }
      ctx_->close_sessions(bare, xmpp::StreamError::not_authorized("the account was deleted"));
    });
  }

  ModuleContext* ctx_ = nullptr;
  // The roster module's service (null when rosters are not enabled): whom to tell that the
  // account's subscriptions ended.
  const roster::RosterService* roster_ = nullptr;
  // The phone module's sign-up (null when it is not enabled).
  phone::PhoneSignupService* phone_ = nullptr;
  log::Logger log_;
  bool allow_registration_ = false;
  std::optional<SignupThrottle> throttle_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Register, register, "XEP-0077 in-band registration, password change, account deletion",
            "roster?", "phone?")
