// SPDX-License-Identifier: MIT
// Internals shared by the files that prepare JID parts (jid_prep.cpp, jid_domain.cpp,
// precis_classes.cpp): the byte table of the ASCII fast paths, the strict UTF-8 codec and ICU
// conversions on code point strings (defined in precis_text.cpp), and the domainpart pipeline
// (defined in jid_domain.cpp) that the public entry points call. Not part of the library's
// interface: callers use jid_prep.h.
#pragma once

#include <unicode/normalizer2.h>
#include <unicode/umachine.h>
#include <unicode/unistr.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/precis/jid_prep.h"

namespace tern::xmpp::precis::internal {

// Auto takes the ASCII fast path where it applies; UnicodeOnly sends every input through ICU
// (precis::detail, for the tests and the fuzzer).
enum class Path : uint8_t { Auto, UnicodeOnly };

// ---------------------------------------------------------------------------------------------
// ASCII fast path

enum AsciiFlag : uint8_t {
  LocalOk = 1 << 0,     // valid in a localpart
  ResourceOk = 1 << 1,  // valid in a resourcepart
  Ldh = 1 << 2,         // letter, digit or hyphen: the only ASCII allowed in a domain label
};

constexpr std::array<uint8_t, 256> make_ascii_table() {
  std::array<uint8_t, 256> table{};
  // RFC 8264 §8-§9: U+0021..U+007E (ASCII7) are PVALID in both string classes. SPACE falls in
  // Spaces: disallowed in IdentifierClass, valid in FreeformClass. U+0000..U+001F and U+007F are
  // Controls, disallowed in both. Bytes >= 0x80 are not ASCII and have no flag.
  for (int c = 0x21; c <= 0x7E; ++c) {
    table[c] = LocalOk | ResourceOk;
  }
  table[' '] = ResourceOk;
  // RFC 7622 §3.3.1: a localpart must not contain these, although IdentifierClass allows them.
  for (char c : std::string_view("\"&'/:<>@")) {
    table[static_cast<uint8_t>(c)] &= static_cast<uint8_t>(~LocalOk);
  }
  // RFC 5890 §2.3.1: NR-LDH labels; uppercase is accepted here and lowercased on output, as the
  // UTS #46 mapping would do.
  for (int c = 'a'; c <= 'z'; ++c) {
    table[c] |= Ldh;
    table[c - 'a' + 'A'] |= Ldh;
  }
  for (int c = '0'; c <= '9'; ++c) {
    table[c] |= Ldh;
  }
  table['-'] |= Ldh;
  return table;
}

inline constexpr std::array<uint8_t, 256> kAsciiTable = make_ascii_table();

constexpr bool has_flag(char c, AsciiFlag flag) {
  return (kAsciiTable[static_cast<uint8_t>(c)] & flag) != 0;
}

constexpr char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool is_ascii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) {
    any |= static_cast<unsigned char>(c);
  }
  return any < 0x80;
}

inline void append_lowercase(std::string_view in, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + in.size());
  char* dst = out.data() + start;
  for (char c : in) {
    *dst++ = to_lower_ascii(c);
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and ICU helpers (precis_text.cpp)

inline UChar32 ucp(char32_t c) {
  return static_cast<UChar32>(c);
}

// Decodes well-formed UTF-8 only (Unicode §3.9, table 3-7: no overlong forms, surrogates, or values
// above U+10FFFF). ICU's converters would substitute U+FFFD instead, hiding the error.
bool decode_utf8(std::string_view in, std::u32string& out);

// The number of octets append_utf8 would write.
std::size_t utf8_length(std::u32string_view cps);
void append_utf8(std::u32string_view cps, std::string& out);

icu::UnicodeString to_icu(std::u32string_view cps);
void from_icu(const icu::UnicodeString& s, std::u32string& out);

// ICU's singletons are created on first use; failure there means ICU's data is missing, which no
// caller could recover from, so they abort.
const icu::Normalizer2& nfc();
const icu::Normalizer2& nfkc();

// ---------------------------------------------------------------------------------------------
// Domainpart, RFC 7622 §3.2 (jid_domain.cpp)

// precis::prepare_domain and its UnicodeOnly twin, with the same contract.
PrepStatus prepare_domain_part(std::string_view in, std::string& out, Path path);

}  // namespace tern::xmpp::precis::internal
