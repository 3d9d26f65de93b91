// SPDX-License-Identifier: MIT
// The webhook gateway: one POST per SMS to the operator's provider, through the server's
// asynchronous HTTP client (c-ares, libuv, verified TLS), with a bounded number of retries.
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "modules/phone/sms_gateway.h"
#include "xmpp/base64.h"

namespace tern::modules::phone {
namespace {

// application/x-www-form-urlencoded (the WHATWG URL standard's byte serializer).
std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

bool worth_retrying(const HttpClientResponse& response) {
  return response.status == 0 || response.status == 408 || response.status == 429 ||
         response.status >= 500;
}

class WebhookGateway final : public SmsGateway {
 public:
  WebhookGateway(ModuleContext& ctx, WebhookOptions options)
      : ctx_(ctx), options_(std::move(options)), log_(ctx.log()) {}

  void send(SmsMessage message, SmsDone done) override {
    attempt(std::make_shared<SmsMessage>(std::move(message)),
            std::make_shared<SmsDone>(std::move(done)), 0);
  }

 private:
  HttpClientRequest request_for(const SmsMessage& message) const {
    HttpClientRequest request;
    request.method = "POST";
    request.url = options_.url;
    request.timeout_ms = options_.timeout_ms;
    if (options_.form) {
      request.body = form_encode(options_.to_field) + "=" + form_encode(message.to) + "&" +
                     form_encode(options_.text_field) + "=" + form_encode(message.text);
      request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    } else {
      request.body = nlohmann::json{
          {options_.to_field, message.to},
          {options_.text_field,
           message.text}}.dump();
      request.headers.push_back({"Content-Type", "application/json"});
    }
    if (options_.auth == "basic") {
      request.headers.push_back(
          {"Authorization", "Basic " + xmpp::base64_encode(options_.user + ":" + options_.secret)});
    } else if (options_.auth == "bearer") {
      request.headers.push_back({"Authorization", "Bearer " + options_.secret});
    }
    return request;
  }

  void attempt(const std::shared_ptr<SmsMessage>& message, const std::shared_ptr<SmsDone>& done,
               std::uint32_t tries) {
    ctx_.http_request(request_for(*message), [this, message, done,
                                              tries](const HttpClientResponse& response) {
      if (response.status >= 200 && response.status < 300) {
        log_.info("sms.sent", "SMS handed to the gateway", {{"to", message->to}});
        return (*done)(true, {});
      }
      const std::string why = response.status == 0
                                  ? response.error
                                  : "the gateway answered " + std::to_string(response.status);
      if (tries < options_.retries && worth_retrying(response)) {
        // 1 s, 2 s, 4 s…, at most a minute: a PIN is valid for minutes, not hours.
        const std::uint64_t delay = std::min<std::uint64_t>(options_.backoff_ms << tries, 60000);
        log_.info("sms.retry", "SMS gateway failed: retrying",
                  {{"to", message->to}, {"error", why}, {"delay_ms", delay}});
        return ctx_.after(std::chrono::milliseconds(delay),
                          [this, message, done, tries] { attempt(message, done, tries + 1); });
      }
      log_.warn("sms.failed", "SMS not sent: the gateway failed",
                {{"to", message->to}, {"error", why}, {"attempts", tries + 1}});
      (*done)(false, why);
    });
  }

  ModuleContext& ctx_;
  WebhookOptions options_;
  log::Logger log_;
};

}  // namespace

std::unique_ptr<SmsGateway> make_webhook_gateway(ModuleContext& ctx, WebhookOptions options) {
  return std::make_unique<WebhookGateway>(ctx, std::move(options));
}

}  // namespace tern::modules::phone
