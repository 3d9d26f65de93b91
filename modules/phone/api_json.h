// SPDX-License-Identifier: MIT
// The sign-up API's JSON (docs/phone-signup.md): request bodies read strictly (an object with
// exactly the string fields expected, bounded in size), and every answer, errors included, as
// JSON with a stable code. No I/O: unit-tested and fuzzed (fuzz/phone_api_fuzz.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/http.h"
#include "xmpp/result.h"

namespace tern::modules::phone {

struct ApiError {
  int status = 400;
  std::string code;  // stable: apps switch on it
  std::string message;
  std::int64_t retry_after = 0;     // seconds (429 and 503): also a Retry-After header
  std::int64_t attempts_left = -1;  // wrong_pin: how many tries the PIN has left
};

struct PinRequestBody {
  std::string number;
};
struct VerifyBody {
  std::string number;
  std::string pin;
};

// The largest body the API reads (a number and a PIN need a few dozen bytes).
inline constexpr std::size_t kMaxApiBody = 4096;

Result<PinRequestBody, ApiError> parse_pin_request(std::string_view body);
Result<VerifyBody, ApiError> parse_verify(std::string_view body);

// {"error":{"code":…,"message":…[,"retry_after":N][,"attempts_left":N]}} with its status.
HttpResponse error_response(const ApiError& error);
// 200 {"number":…,"expires_in":N}: a PIN is on its way.
HttpResponse pin_sent_response(std::string_view e164, std::int64_t expires_in);
// 200 {"jid":…,"password":…,"new_account":bool}: the number is verified.
HttpResponse verified_response(std::string_view jid, std::string_view password, bool new_account);

}  // namespace tern::modules::phone
