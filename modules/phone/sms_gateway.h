// SPDX-License-Identifier: MIT
// Where PINs go: an SMS gateway, chosen by [modules.phone] gateway. "dev" (the default, so the
// quick start works offline) writes each message to a file or the log and sends nothing; "webhook"
// POSTs it to the operator's SMS provider (docs/phone-signup-operators.md). Both run on the
// module instance's worker and never block it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tern/module_api.h"

namespace tern::modules::phone {

struct SmsMessage {
  std::string to;    // E.164
  std::string text;  // with the PIN in it
};

// `sent` is false when the gateway refused or could not be reached (after its retries).
using SmsDone = std::function<void(bool sent, std::string error)>;

class SmsGateway {
 public:
  virtual ~SmsGateway() = default;
  virtual void send(SmsMessage message, SmsDone done) = 0;
};

// Appends "NUMBER<TAB>TEXT" lines to `file` (off the event loop), or logs the message when
// `file` is empty.
std::unique_ptr<SmsGateway> make_dev_gateway(ModuleContext& ctx, std::string file);

struct WebhookOptions {
  std::string url;    // http(s)://…: the provider's endpoint
  bool form = false;  // application/x-www-form-urlencoded instead of JSON
  std::string to_field = "to";
  std::string text_field = "text";
  std::string auth;    // "", "basic" or "bearer"
  std::string user;    // basic
  std::string secret;  // basic: the password; bearer: the token
  std::uint64_t timeout_ms = 10000;
  std::uint32_t retries = 2;        // after the first attempt, on failures worth retrying
  std::uint64_t backoff_ms = 1000;  // before the first retry, doubling
};

// POSTs {"to": NUMBER, "text": TEXT} (or the form) with the configured authentication. 2xx is
// sent; a network failure, 408, 429 or 5xx is retried with backoff; another status is final.
std::unique_ptr<SmsGateway> make_webhook_gateway(ModuleContext& ctx, WebhookOptions options);

}  // namespace tern::modules::phone
