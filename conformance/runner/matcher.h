// SPDX-License-Identifier: MIT
// Does a received element match the expected one of a scenario? Scansion's rules:
// - names and namespaces are equal;
// - every expected attribute is present with the same value; "{scansion:any}" accepts any value
//   and "{capture:NAME}" any value, remembered as ${NAME} for later steps; other attributes of
//   the received element are ignored;
// - every expected child matches a distinct received child (in any order); other received
//   children are ignored;
// - expected text, when there is some, equals the received text (both trimmed);
// - scansion:strict='true' on an element makes it and its descendants exact: no other
//   attributes, the same children in the same order, the same text; scansion:strict='false'
//   relaxes a descendant again.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "xmpp/element.h"

namespace tern::conformance {

using Captures = std::map<std::string, std::string, std::less<>>;

inline constexpr std::string_view kAny = "{scansion:any}";

// nullopt when `actual` matches `expected`; otherwise where and why it does not
// ("/iq/query/item: attribute subscription is 'to', expected 'both'"). Captures are added only
// on a match.
std::optional<std::string> match(const xmpp::Element& expected, const xmpp::Element& actual,
                                 Captures& captures);

// An element as indented XML, for the mismatch report (scansion: attributes left out).
std::string pretty(const xmpp::Element& element);

}  // namespace tern::conformance
