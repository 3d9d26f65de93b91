// SPDX-License-Identifier: MIT
// XEP-0082 date-times as the server writes them and reads them: UTC with milliseconds,
// "2026-12-07T04:34:00.123Z" (XEP-0203 delay stamps, XEP-0202 entity time).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tern::xmpp {

std::string xep82_datetime(std::chrono::system_clock::time_point when);

// Reads an XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD "Z" or ±hh:mm) as clients send
// it (XEP-0045 history 'since', XEP-0313 'start' and 'end'); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_xep82_datetime(std::string_view text);

}  // namespace tern::xmpp
