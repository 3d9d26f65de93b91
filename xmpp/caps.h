// SPDX-License-Identifier: MIT
// XEP-0115 entity capabilities: the <c/> a client puts in its presence, and the verification
// string and hash of a disco#info answer (§5.1, checked as §5.4 says), so that a server caches
// what a 'ver' means only once the answer proves it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.h"

namespace tern::xmpp {

struct CapsClaim {
  std::string hash;  // "sha-1", …
  std::string node;  // the software's URI
  std::string ver;   // base64 of the hash
};

// The presence's <c xmlns='http://jabber.org/protocol/caps'/>; nullopt when absent, without a
// node or ver, or legacy (no 'hash' attribute: §8.4, nothing to verify).
std::optional<CapsClaim> caps_claim(const Element& presence);

// The verification string of a disco#info <query/> (§5.1); nullopt for an answer §5.4 says not
// to trust (an identity or feature twice, a form twice, a FORM_TYPE that is not hidden).
std::optional<std::string> caps_verification_string(const Element& query);

// base64(hash(s)) for the algorithms of the IANA registry a server may meet ("sha-1",
// "sha-256", "sha-512"); nullopt for any other.
std::optional<std::string> caps_hash(std::string_view algorithm, std::string_view s);

}  // namespace tern::xmpp
