// SPDX-License-Identifier: MIT
// The typed-value conversions of the binary codec (docs/binary-xmpp.md, section 7.3): UUIDs, hex,
// decimal integers, base64 in four spellings and ISO 8601 UTC timestamps, each between its text
// and its compact bytes. Parsing accepts only the canonical text of a form, so that formatting the
// bytes gives back exactly the same text: that is what makes a typed value lossless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::xmpp::binary {

inline constexpr std::size_t kUuidText = 36;
inline constexpr std::size_t kUuidBytes = 16;

// 8-4-4-4-12 hex digits, all lower-case or all upper-case (digits count as either).
bool parse_uuid(std::string_view text, bool& upper, std::uint8_t* out16);
void format_uuid(const std::uint8_t* bytes16, bool upper, char* out36);

// Hex digits packed two per byte, big-endian; an odd count gets a zero high nibble first.
inline constexpr std::size_t hex_packed_size(std::size_t digits) {
  return (digits + 1) / 2;
}
void hex_pack(std::string_view digits, std::uint8_t* out);
// 1 when `text` is all lower-case hex digits (digits only count as lower), 2 all upper-case, else
// 0.
int hex_case(std::string_view text);
// False when an odd count's first nibble is not zero.
bool hex_unpack(const std::uint8_t* packed, std::size_t digits, bool upper, char* out);

// Canonical unsigned decimal: "0" or no leading zero, at most 2^64 - 1.
bool parse_uint(std::string_view text, std::uint64_t& value);
std::size_t format_uint(std::uint64_t value, char* out20);

// The base64 V-byte (vbyte::kB64Pad … kB64Url) whose spelling `text` is, with its bytes decoded
// into `bytes`; 0 when the text is not canonical base64 in any of the four spellings.
std::uint8_t base64_parse(std::string_view text, std::string& bytes);
std::size_t base64_text_size(std::size_t bytes, bool padded);
void base64_encode(const std::uint8_t* bytes, std::size_t size, bool url, bool padded, char* out);

// "YYYY-MM-DDThh:mm:ssZ" (seconds) or "YYYY-MM-DDThh:mm:ss.sssZ" (milliseconds since 1970),
// years 1970–9999, no leap second.
inline constexpr std::size_t kTimestampText = 20;
inline constexpr std::size_t kTimestampMillisText = 24;
bool parse_timestamp(std::string_view text, std::uint64_t& value, bool& millis);
// False when the value is past 9999-12-31T23:59:59.999Z.
bool format_timestamp(std::uint64_t value, bool millis, char* out);

}  // namespace tern::xmpp::binary
