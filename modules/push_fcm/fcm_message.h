// SPDX-License-Identifier: MIT
// FCM HTTP v1 (projects.messages.send): the request for one wake-up, and what its answer means.
// A wake-up carries no message content: only the app server node, so the app knows which
// account to connect (the phone fetches the message itself, over XMPP).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/http.h"

namespace tern::modules::push_fcm {

// {"message":{"token":…,"android":{"priority":"high"},"apns":…,"data":{"node":…}}}
std::string fcm_request_body(std::string_view device_token, std::string_view node);

enum class FcmOutcome : std::uint8_t {
  Sent,
  Unregistered,  // the token is gone (404 UNREGISTERED, or an invalid token): stop using it
  Retry,         // 429, 5xx, no answer: try again later
  Reauthorize,   // 401: the access token expired or was refused
  Failed,        // anything else: give up on this one
};

FcmOutcome classify_fcm_response(const HttpClientResponse& response);

// Retry-After in seconds (RFC 9110 §10.2.3, the delta form), or 0.
std::uint64_t retry_after_seconds(const HttpClientResponse& response);

}  // namespace tern::modules::push_fcm
