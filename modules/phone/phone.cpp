// SPDX-License-Identifier: MIT
// Sign-up by phone number (docs/phone-signup.md for apps, docs/phone-signup-operators.md for
// operators): a PIN by SMS instead of a username and a password, over an HTTP JSON API or
// in-band (XEP-0077 with a data form, through the register module); a number verified again
// moves its account to the new device; contact discovery by hashed numbers.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "modules/phone/api_json.h"
#include "modules/phone/contact_discovery.h"
#include "modules/phone/phone_number.h"
#include "modules/phone/phone_store.h"
#include "modules/phone/signup.h"
#include "modules/phone/sms_gateway.h"
#include "modules/services/phone_service.h"
#include "tern/module_api.h"
#include "xmpp/data_form.h"

namespace tern::modules {
namespace {

namespace ns = xmpp::ns;
using phone::ApiError;

constexpr std::string_view kRequestPath = "/api/v1/verification/request";
constexpr std::string_view kVerifyPath = "/api/v1/verification/verify";
constexpr std::string_view kDataFormsNs = "jabber:x:data";

class Phone final : public Module, public phone::PhoneSignupService {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    ModuleOptions& options = ctx.options();
    // Every option is read whatever the gateway, so that none is refused as unknown.
    const std::string gateway = options.string("gateway", "dev");
    const std::string dev_file = options.string("dev_file", "");
    phone::WebhookOptions webhook;
    webhook.url = options.string("webhook_url", "");
    const std::string format = options.string("webhook_format", "json");
    webhook.form = format == "form";
    webhook.to_field = options.string("webhook_to_field", "to");
    webhook.text_field = options.string("webhook_text_field", "text");
    webhook.auth = options.string("webhook_auth", "");
    webhook.user = options.string("webhook_user", "");
    webhook.secret = options.string("webhook_secret", "");
    webhook.timeout_ms =
        static_cast<std::uint64_t>(options.integer("webhook_timeout_ms", 10000, 100, 120000));
    webhook.retries = static_cast<std::uint32_t>(options.integer("webhook_retries", 2, 0, 10));
    webhook.backoff_ms =
        static_cast<std::uint64_t>(options.integer("webhook_backoff_ms", 1000, 10, 60000));

    phone::SignupOptions signup;
    signup.text = options.string("message", "Your {host} code: {pin}");
    signup.policy.lifetime_s = options.integer("pin_lifetime", 600, 1, 86400);
    signup.policy.max_attempts =
        static_cast<std::uint32_t>(options.integer("max_attempts", 5, 1, 100));
    signup.policy.per_number_per_hour =
        static_cast<std::uint32_t>(options.integer("pins_per_number_per_hour", 3, 1, 1000));
    const auto per_address = options.integer("pins_per_address_per_hour", 10, 0, 1'000'000);
    const auto verifications =
        options.integer("verifications_per_address_per_hour", 30, 0, 1'000'000);
    allow_plain_http_ = options.boolean("allow_plain_http", false);
    const bool cors = options.boolean("cors", false);
    const auto sms_per_hour = options.integer("sms_per_hour", 1000, 0, 1'000'000'000);
    const auto discovery_per_day = options.integer("discovery_per_day", 1000, 0, 100'000'000);
    for (auto [key, prefixes] : {std::pair{"allow_prefixes", &signup.rules.allow_prefixes},
                                 std::pair{"deny_prefixes", &signup.rules.deny_prefixes}}) {
      auto parsed = phone::parse_prefixes(options.string(key, ""));
      if (!parsed) {
        throw ModuleOptionError("[modules.phone] " + std::string(key) + ": " + parsed.error());
      }
      *prefixes = std::move(*parsed);
    }
    if (format != "json" && format != "form") {
      throw ModuleOptionError("[modules.phone] webhook_format must be \"json\" or \"form\"");
    }
    if (webhook.auth != "" && webhook.auth != "basic" && webhook.auth != "bearer") {
      throw ModuleOptionError("[modules.phone] webhook_auth must be \"\", \"basic\" or \"bearer\"");
    }
    if (signup.text.find("{pin}") == std::string::npos) {
      throw ModuleOptionError("[modules.phone] message must contain {pin}");
    }

    if (gateway == "dev") {
      gateway_ = phone::make_dev_gateway(ctx, dev_file);
    } else if (gateway == "webhook") {
      if (!webhook.url.starts_with("http://") && !webhook.url.starts_with("https://")) {
        throw ModuleOptionError(
            "[modules.phone] gateway \"webhook\" needs webhook_url (http:// "
            "or https://)");
      }
      gateway_ = phone::make_webhook_gateway(ctx, webhook);
    } else {
      throw ModuleOptionError("[modules.phone] gateway must be \"dev\" or \"webhook\"");
    }

    auto limits = ctx.shared<phone::SignupLimits>("limits");
    std::call_once(limits->configured, [&] {
      limits->per_address.configure(static_cast<std::uint32_t>(per_address), 3600);
      limits->verifications_per_address.configure(static_cast<std::uint32_t>(verifications), 3600);
      limits->sms_budget.configure(static_cast<std::uint32_t>(sms_per_hour), 3600);
      if (gateway == "dev") {
        log_.warn("phone.dev_gateway",
                  "phone sign-up uses the development gateway: PINs are written to the log or "
                  "dev_file, never sent (set [modules.phone] gateway for production)",
                  {{"file", dev_file}});
      }
    });
    const StoreId pins = ctx.open_store(phone::kPinStore, StoreScope::Global);
    index_ = ctx.open_store(phone::kIndexStore, StoreScope::Global);
    const StoreId counters = ctx.open_store(phone::kDiscoveryStore, StoreScope::PerAccount);
    signup_.emplace(ctx, phone::Signup::Stores{pins, index_}, std::move(signup), *gateway_,
                    std::move(limits));
    discovery_.emplace(ctx, index_, counters, static_cast<std::uint64_t>(discovery_per_day));

    // One sweeper for the whole server: the records are everyone's.
    ctx.every_on_one_worker("sweeper", std::chrono::seconds(600), [this] { signup_->sweep(); });
    ctx.provide<phone::PhoneSignupService>(*this);
    for (std::string_view path : {kRequestPath, kVerifyPath}) {
      const bool verify = path == kVerifyPath;
      ctx.on_http({.path = std::string(path),
                   .methods = {"POST"},
                   .max_body_bytes = phone::kMaxApiBody,
                   .stream_body = false,
                   .cors = cors,
                   .handler = [this, verify](const std::shared_ptr<HttpExchange>& exchange) {
                     if (refused(*exchange)) {
                       return;
                     }
                     verify ? on_verify(exchange) : on_request_pin(exchange);
                   }});
    }
    ctx.add_disco_feature(phone::kContactsNs);
    ctx.on_iq(IqType::Get, {phone::kContactsNs, "query"}, Addressed::ToServer,
              [this](IqRequest& req) { discovery_->on_query(req); });
    ctx.on_account_deleted(HookStage::Observe,
                           [this](const AccountDeleted& deleted) { forget(deleted.bare_jid); });
  }

  // phone::PhoneSignupService
  void add_form(xmpp::Element& query, bool with_username) const override {
    xmpp::Element& form = xmpp::add_form(query, "form", ns::kRegister);
    form.add_child("title", kDataFormsNs).add_text("Sign up with your phone number");
    form.add_child("instructions", kDataFormsNs)
        .add_text(
            "Enter your phone number in international form (+4915112345678) and submit: "
            "a PIN arrives by SMS. Then submit again with the PIN and a password of your "
            "choice. Your address will be the number without '+' at " +
            std::string(ctx_->host()) + ".");
    if (with_username) {
      // Either a number, or a username of one's choice (then no PIN is needed).
      xmpp::add_form_field(form, "username", "text-single", {})
          .set_attr("label", "Username (instead of a phone number)");
      xmpp::add_form_field(form, "phone", "text-single", {}).set_attr("label", "Phone number");
    } else {
      xmpp::add_form_field(form, "phone", "text-single", {})
          .set_attr("label", "Phone number")
          .add_child("required", kDataFormsNs);
    }
    xmpp::add_form_field(form, "pin", "text-single", {}).set_attr("label", "PIN from the SMS");
    xmpp::add_form_field(form, "password", "text-private", {}).set_attr("label", "Password");
  }

  bool reserves_username(std::string_view username) const override {
    return phone::is_number_localpart(username);
  }

  bool submits_form(const xmpp::Element& query) const override {
    const xmpp::Element* x = query.child("x", kDataFormsNs);
    if (x == nullptr) {
      return false;
    }
    auto form = xmpp::read_form(*x);
    // A form client may send every field, the phone one empty, to register a username.
    return form && !form->value("phone").value_or("").empty();
  }

  void sign_up(IqRequest& req) override {
    auto form = xmpp::read_form(*req.payload().child("x", kDataFormsNs));
    if (!form || form->type != "submit") {
      return req.reply_error(xmpp::StanzaError::bad_request("submit the registration form"));
    }
    const std::string number(form->value("phone").value_or(""));
    const std::string pin(form->value("pin").value_or(""));
    const std::string password(form->value("password").value_or(""));
    std::shared_ptr<DeferredIq> answer = req.defer();
    if (pin.empty()) {
      // Step one: the PIN goes out; the registration is not complete without it.
      return signup_->request_pin(
          number, req.peer_address(), [answer](Result<phone::PinSent, ApiError> sent) {
            if (!sent) {
              return answer->reply_error(stanza_error(sent.error()));
            }
            answer->reply_error(xmpp::StanzaError::not_acceptable(
                "A PIN was sent to " + sent->e164 +
                " by SMS: submit the form again with the PIN and a password"));
          });
    }
    if (password.empty()) {
      return answer->reply_error(
          xmpp::StanzaError::not_acceptable("choose a password for the account"));
    }
    if (pin.size() != 6 ||
        !std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return answer->reply_error(
          xmpp::StanzaError::not_acceptable("the PIN is the 6 digits of the SMS"));
    }
    signup_->verify(
        number, pin, password, req.peer_address(),
        [answer](Result<phone::Verified, ApiError> verified) {
          if (!verified) {
            return answer->reply_error(stanza_error(verified.error()));
          }
          // XEP-0077's result is empty; the username tells a client which address it now has.
          answer->reply_result({ns::kRegister, "query"}, [&](xmpp::Element& query) {
            const std::string_view jid = verified->jid;
            query.add_child("username", ns::kRegister).add_text(jid.substr(0, jid.find('@')));
          });
        });
  }

 private:
  // An API error as a stanza error for the in-band flow (XEP-0077 §3.1's conditions first).
  static xmpp::StanzaError stanza_error(const ApiError& error) {
    if (error.status == 429 || error.status == 503) {
      return xmpp::StanzaError::resource_constraint(error.message);
    }
    if (error.code == "wrong_pin" || error.code == "pin_locked") {
      return xmpp::StanzaError::not_authorized(error.message);
    }
    if (error.status == 403) {
      return xmpp::StanzaError::not_allowed(error.message);
    }
    if (error.status >= 500) {
      return xmpp::StanzaError::internal_server_error();
    }
    return xmpp::StanzaError::not_acceptable(error.message);
  }

  // Refused before anything else: plain HTTP (the PIN and the password would cross the
  // network in clear) unless the operator says a proxy does TLS, and a body that is not JSON
  // (which also keeps a web page from posting a "simple" text/plain request from its visitors'
  // browsers without a CORS preflight).
  bool refused(HttpExchange& exchange) const {
    const HttpRequest& request = exchange.request();
    if (!request.secure && !allow_plain_http_) {
      log_.warn("limit.refused", "phone API refused: plain HTTP", {{"peer", request.peer}});
      exchange.respond(phone::error_response(
          ApiError{403, "tls_required", "use https:// (the answer carries a password)"}));
      return true;
    }
    std::string_view type = request.header("content-type");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') {
      type.remove_suffix(1);
    }
    if (type != "application/json") {
      exchange.respond(phone::error_response(
          ApiError{415, "unsupported_media_type", "the body must be application/json"}));
      return true;
    }
    return false;
  }

  void on_request_pin(const std::shared_ptr<HttpExchange>& exchange) {
    auto body = phone::parse_pin_request(exchange->request().body);
    if (!body) {
      return exchange->respond(phone::error_response(body.error()));
    }
    signup_->request_pin(
        body->number, exchange->request().peer, [exchange](Result<phone::PinSent, ApiError> sent) {
          exchange->respond(sent ? phone::pin_sent_response(sent->e164, sent->expires_in)
                                 : phone::error_response(sent.error()));
        });
  }

  void on_verify(const std::shared_ptr<HttpExchange>& exchange) {
    auto body = phone::parse_verify(exchange->request().body);
    if (!body) {
      return exchange->respond(phone::error_response(body.error()));
    }
    signup_->verify(
        body->number, body->pin, {}, exchange->request().peer,
        [exchange](Result<phone::Verified, ApiError> verified) {
          exchange->respond(verified ? phone::verified_response(verified->jid, verified->password,
                                                                verified->new_account)
                                     : phone::error_response(verified.error()));
        });
  }

  // A deleted account's number is no longer findable.
  void forget(std::string_view bare_jid) {
    const std::string_view local = bare_jid.substr(0, bare_jid.find('@'));
    if (!phone::is_number_localpart(local)) {
      return;
    }
    ctx_->write(
        [index = index_,
         key = phone::index_key(ctx_->host(), phone::contact_hash_hex("+" + std::string(local)))](
            WriteTxn& txn) {
          auto removed = txn.remove(index, key);
          return removed ? Result<void, StoreError>{} : Err(removed.error());
        },
        [log = log_, jid = std::string(bare_jid)](StoreStatus status) {
          if (!status) {
            log.error("phone.index_failed", "deleted number left in contact discovery",
                      {{"jid", jid}});
          }
        });
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  bool allow_plain_http_ = false;
  std::unique_ptr<phone::SmsGateway> gateway_;
  StoreId index_;
  std::optional<phone::Signup> signup_;
  std::optional<phone::ContactDiscovery> discovery_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Phone, phone,
            "sign-up by phone number with an SMS PIN, device change, contact discovery")
