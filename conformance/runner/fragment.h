// SPDX-License-Identifier: MIT
// The XML blocks of a scenario as elements: one or more elements written in a jabber:client
// stream, with the prefixes a script may use without declaring them (stream:, scansion:).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"
#include "xmpp/stanza.h"

namespace tern::conformance {

// The namespace of scansion's own attributes (scansion:strict); private to the suite.
inline constexpr std::string_view kScansionNs = "urn:x-tern:conformance:scansion";

// Parses a block into its top-level elements; the error says what is wrong with the XML.
Result<std::vector<xmpp::StanzaPtr>, std::string> parse_fragment(std::string_view xml);

}  // namespace tern::conformance
