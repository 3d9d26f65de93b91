// SPDX-License-Identifier: MIT
// XEP-0082 date-times as the server writes them: UTC with milliseconds,
// "2026-12-07T04:34:00.123Z" (XEP-0203 delay stamps, XEP-0202 entity time).
#pragma once

#include <chrono>
#include <string>

namespace tern::xmpp {

std::string xep82_datetime(std::chrono::system_clock::time_point when);

}  // namespace tern::xmpp
