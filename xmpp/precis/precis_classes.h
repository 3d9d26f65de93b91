// SPDX-License-Identifier: MIT
// Which code points a prepared JID part may contain: the PRECIS derived property (RFC 8264 §8-§9,
// IdentifierClass and FreeformClass) and the IDNA2008 derived property (RFC 5892 §3), both
// computed from ICU's character properties, checked over a whole string with the contextual rules
// of RFC 5892 Appendix A; and the bidi rule of RFC 5893 §2. Internal to the JID preparation files,
// like precis_internal.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace tern::xmpp::precis::internal {

enum class CpClass : uint8_t {
  Pvalid,      // valid in every class
  FreePval,    // valid in FreeformClass only ("ID_DIS or FREE_PVAL", RFC 8264 §8)
  ContextJ,    // valid only where RFC 5892 A.1/A.2 hold
  ContextO,    // valid only where RFC 5892 A.3-A.9 hold
  Disallowed,  // DISALLOWED or UNASSIGNED
};

// The PRECIS derived property (RFC 8264 §8, categories in §9).
CpClass precis_class(char32_t c);

// The IDNA2008 derived property, RFC 5892 §3. UTS #46 admits some code points IDNA2008 does not
// (symbols, for one); RFC 7622 §3.2 asks for IDNA2008, so every U-label is checked with this too.
CpClass idna2008_class(char32_t c);

using Classify = CpClass (*)(char32_t c);

// True if every code point of `s` is valid in the class, with the contextual rules where needed.
// PRECIS applies the rules to the whole string, IDNA to one label.
bool all_valid(std::u32string_view s, Classify classify, bool allow_free_pval);

// RFC 5893 §1.4: an "RTL label" has an R, AL or AN code point.
bool has_rtl(std::u32string_view s);

// RFC 5893 §2, rules 1-6.
bool bidi_rule_ok(std::u32string_view s);

}  // namespace tern::xmpp::precis::internal
