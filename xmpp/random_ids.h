// SPDX-License-Identifier: MIT
// Identifiers nobody can guess, from OpenSSL's CSPRNG: version-4 UUIDs (XEP-0359 stanza ids,
// XEP-0363 upload paths) and lowercase hex (resource names, stream and resumption ids).
#pragma once

#include <cstddef>
#include <string>

namespace tern::xmpp {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (RFC 9562 §5.4), lowercase.
std::string random_uuid();
// 2 × `bytes` lowercase hex digits.
std::string random_hex(std::size_t bytes);

}  // namespace tern::xmpp
