// SPDX-License-Identifier: MIT
#include "modules/phone/api_json.h"

#include <nlohmann/json.hpp>

namespace tern::modules::phone {
namespace {

using Json = nlohmann::json;

ApiError invalid(std::string message) {
  return ApiError{400, "invalid_request", std::move(message)};
}

// The object of `body` with only string members named in `fields`, each present.
Result<Json, ApiError> object_with(std::string_view body,
                                   std::initializer_list<std::string_view> fields) {
  if (body.size() > kMaxApiBody) {
    return Err(invalid("the body is larger than " + std::to_string(kMaxApiBody) + " bytes"));
  }
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Err(invalid("the body must be a JSON object"));
  }
  for (const auto& [name, value] : parsed.items()) {
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) {
      return Err(invalid("unknown member '" + name + "'"));
    }
    if (!value.is_string()) {
      return Err(invalid("'" + name + "' must be a string"));
    }
  }
  for (std::string_view field : fields) {
    if (!parsed.contains(field)) {
      return Err(invalid("'" + std::string(field) + "' is missing"));
    }
  }
  return parsed;
}

HttpResponse json(int status, const Json& value) {
  HttpResponse response;
  response.status = status;
  response.body = value.dump();
  response.header("Content-Type", "application/json");
  response.header("Cache-Control", "no-store");  // a password must not be cached anywhere
  return response;
}

}  // namespace

Result<PinRequestBody, ApiError> parse_pin_request(std::string_view body) {
  auto object = object_with(body, {"number"});
  if (!object) {
    return Err(object.error());
  }
  return PinRequestBody{(*object)["number"].get<std::string>()};
}

Result<VerifyBody, ApiError> parse_verify(std::string_view body) {
  auto object = object_with(body, {"number", "pin"});
  if (!object) {
    return Err(object.error());
  }
  VerifyBody verify{(*object)["number"].get<std::string>(), (*object)["pin"].get<std::string>()};
  if (verify.pin.size() != 6 || !std::all_of(verify.pin.begin(), verify.pin.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
    return Err(invalid("'pin' must be the 6 digits of the SMS"));
  }
  return verify;
}

HttpResponse error_response(const ApiError& error) {
  Json detail = {{"code", error.code}, {"message", error.message}};
  if (error.retry_after > 0) {
    detail["retry_after"] = error.retry_after;
  }
  if (error.attempts_left >= 0) {
    detail["attempts_left"] = error.attempts_left;
  }
  // Messages may carry what the client sent: dump() with replacement keeps invalid UTF-8 from
  // throwing.
  HttpResponse response;
  response.status = error.status;
  response.body = Json{{"error", detail}}.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.header("Content-Type", "application/json");
  response.header("Cache-Control", "no-store");
  if (error.retry_after > 0) {
    response.header("Retry-After", std::to_string(error.retry_after));
  }
  return response;
}

HttpResponse pin_sent_response(std::string_view e164, std::int64_t expires_in) {
  return json(200, {{"number", e164}, {"expires_in", expires_in}});
}

HttpResponse verified_response(std::string_view jid, std::string_view password, bool new_account) {
  return json(200, {{"jid", jid}, {"password", password}, {"new_account", new_account}});
}

}  // namespace tern::modules::phone
