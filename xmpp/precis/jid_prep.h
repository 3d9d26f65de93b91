// SPDX-License-Identifier: MIT
// Preparation of the three parts of an XMPP address (RFC 7622): the localpart through the PRECIS
// UsernameCaseMapped profile (RFC 8264, RFC 8265 §3.3) plus the RFC 7622 §3.3.1 exclusions, the
// resourcepart through the PRECIS OpaqueString profile (RFC 8265 §4.2), and the domainpart as an
// IP literal or an IDNA2008 domain name (RFC 5890-5893, mapped with UTS #46). It is kept apart
// from jid.h because it is the only code that needs ICU: pure-ASCII parts, the common case on a
// server, take a table-driven path that never calls ICU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::xmpp::precis {

// RFC 7622 §3.2-§3.4: each prepared part is 1 to 1023 octets of UTF-8.
inline constexpr std::size_t kMaxPartBytes = 1023;

// Inputs longer than this are refused before any Unicode work, so that a huge part costs nothing.
// Preparation can shrink a part (fullwidth letters, composed jamo, UTS #46 mappings), but never a
// valid localpart or resourcepart by more than a factor of 3, so only absurd domainparts (long
// runs of code points that UTS #46 deletes) are refused that would otherwise have fitted.
inline constexpr std::size_t kMaxPartInputBytes = 4 * kMaxPartBytes;

enum class PrepStatus : uint8_t {
  Ok,
  Empty,    // the part is empty (or nothing is left of it, e.g. a domainpart of just ".")
  TooLong,  // the input or the prepared part is longer than allowed
  Invalid,  // bad UTF-8, a disallowed code point, or a failed contextual or bidi rule
};

// Each function appends the prepared form of `in` to `out` and returns Ok; on any other status
// `out` is left exactly as it was. Preparation is idempotent: preparing the output again yields it
// unchanged. Appending lets Jid build its single string without temporaries.

// UsernameCaseMapped (RFC 8265 §3.3): width mapping, toLowerCase, NFC, bidi rule, IdentifierClass,
// without " & ' / : < > @ (RFC 7622 §3.3.1).
PrepStatus prepare_localpart(std::string_view in, std::string& out);

// RFC 7622 §3.2: one trailing '.' removed; "[IPv6]" literals in RFC 5952 canonical text; IPv4
// literals and other names as IDNA2008 names in lowercase U-label form, each label at most 63
// octets as an A-label.
PrepStatus prepare_domain(std::string_view in, std::string& out);

// OpaqueString (RFC 8265 §4.2): non-ASCII spaces to U+0020, NFC, FreeformClass.
PrepStatus prepare_resource(std::string_view in, std::string& out);

namespace detail {

// The same preparations with the ASCII fast path turned off, so every input goes through ICU.
// Only tests and the fuzzer use these: they check that both paths agree on ASCII input.
PrepStatus prepare_localpart_unicode(std::string_view in, std::string& out);
PrepStatus prepare_domain_unicode(std::string_view in, std::string& out);
PrepStatus prepare_resource_unicode(std::string_view in, std::string& out);

}  // namespace detail

}  // namespace tern::xmpp::precis
