// SPDX-License-Identifier: MIT
// A fixed table of well-known XMPP names (element and attribute names, namespaces, common values).
// The parser looks every name up here first: a known name costs no arena copy, and its
// string_view points into static storage, so equal known names share one address. The table never
// grows at run time, since interning attacker-chosen names would be a memory-exhaustion vector.
#pragma once

#include <cstddef>
#include <string_view>

namespace tern::xmpp::names {

// The static copy of `text` if it is a well-known name, else an empty view (data() == nullptr).
std::string_view lookup(std::string_view text);

// Number of names in the table (for tests).
std::size_t table_size();

}  // namespace tern::xmpp::names
