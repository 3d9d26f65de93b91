// SPDX-License-Identifier: MIT
// Character-level checks of the binary codec. The decoder accepts only what an XML stream could
// carry: text that is UTF-8 and made of XML 1.0 characters, and names that are ASCII NCNames (so a
// decoded tree always serializes to well-formed XML for a plain-XML peer, and a name can never
// smuggle markup). A byte-class table serves both checks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::xmpp::binary {

// Byte classes.
namespace cls {
inline constexpr std::uint16_t kDigit = 0x0001;
inline constexpr std::uint16_t kHexLower = 0x0002;    // a-f
inline constexpr std::uint16_t kHexUpper = 0x0004;    // A-F
inline constexpr std::uint16_t kAlphaLower = 0x0008;  // g-z
inline constexpr std::uint16_t kAlphaUpper = 0x0010;  // G-Z
inline constexpr std::uint16_t kPlus = 0x0020;
inline constexpr std::uint16_t kSlash = 0x0040;
inline constexpr std::uint16_t kMinus = 0x0080;
inline constexpr std::uint16_t kUnderscore = 0x0100;
inline constexpr std::uint16_t kEquals = 0x0200;
inline constexpr std::uint16_t kAt = 0x0400;
inline constexpr std::uint16_t kOther = 0x0800;    // any other printable ASCII, TAB, LF, CR
inline constexpr std::uint16_t kControl = 0x1000;  // C0 controls XML forbids
inline constexpr std::uint16_t kHigh = 0x2000;     // bytes >= 0x80
inline constexpr std::uint16_t kAlnum = kDigit | kHexLower | kHexUpper | kAlphaLower | kAlphaUpper;
}  // namespace cls

extern const std::array<std::uint16_t, 256> kCharClass;

// Whether `text` has a C0 control XML forbids (eight bytes at a time).
bool has_controls(std::string_view text);

// UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) made of XML 1.0 Chars: no C0 control
// other than TAB, LF and CR, and neither U+FFFE nor U+FFFF.
bool valid_xml_text(std::string_view text);

// An ASCII NCName: [A-Za-z_][A-Za-z0-9._-]*.
bool valid_name(std::string_view name);

// Replaces each forbidden C0 control by U+FFFD, as the XML serializer does (xmpp/escape.h).
void replace_controls(std::string_view text, std::string& out);

}  // namespace tern::xmpp::binary
