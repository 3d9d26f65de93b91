// SPDX-License-Identifier: MIT
#include "modules/push_fcm/fcm_message.h"

#include <nlohmann/json.hpp>

namespace tern::modules::push_fcm {

std::string fcm_request_body(std::string_view device_token, std::string_view node) {
  const nlohmann::json body = {{"message",
                                {{"token", device_token},
                                 {"android", {{"priority", "high"}}},
                                 // iOS: a background wake-up, not a visible alert.
                                 {"apns",
                                  {{"headers", {{"apns-priority", "10"}}},
                                   {"payload", {{"aps", {{"content-available", 1}}}}}}},
                                 {"data", {{"node", node}}}}}};
  return body.dump();
}

FcmOutcome classify_fcm_response(const HttpClientResponse& response) {
  if (response.status == 0) {
    return FcmOutcome::Retry;  // no answer at all
  }
  if (response.status >= 200 && response.status < 300) {
    return FcmOutcome::Sent;
  }
  if (response.status == 401) {
    return FcmOutcome::Reauthorize;
  }
  if (response.status == 429 || response.status >= 500) {
    return FcmOutcome::Retry;
  }
  // FCM's error body names the reason: UNREGISTERED (the app was removed, the token expired) or
  // INVALID_ARGUMENT about the token. Both mean this registration is dead.
  const nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  if (!json.is_discarded() && json.is_object()) {
    const nlohmann::json& error = json.value("error", nlohmann::json::object());
    if (error.is_object()) {
      if (error.value("status", "") == "UNREGISTERED") {
        return FcmOutcome::Unregistered;
      }
      const nlohmann::json& details = error.value("details", nlohmann::json::array());
      if (details.is_array()) {
        for (const nlohmann::json& detail : details) {
          if (detail.is_object() && detail.value("errorCode", "") == "UNREGISTERED") {
            return FcmOutcome::Unregistered;
          }
        }
      }
    }
  }
  return response.status == 404 ? FcmOutcome::Unregistered : FcmOutcome::Failed;
}

std::uint64_t retry_after_seconds(const HttpClientResponse& response) {
  const std::string_view value = response.header("retry-after");
  if (value.empty() || value.size() > 6 ||
      value.find_first_not_of("0123456789") != std::string_view::npos) {
    return 0;
  }
  return std::stoull(std::string(value));
}

}  // namespace tern::modules::push_fcm
