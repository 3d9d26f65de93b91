// SPDX-License-Identifier: MIT
// Strict base64 (RFC 4648 §4, the standard alphabet) for SASL payloads (RFC 6120 §6.4.2) and the
// base64 attributes inside SCRAM messages (RFC 5802 §5.1). Decoding accepts only the canonical
// encoding: length a multiple of 4, padding exactly where needed, no whitespace or line breaks,
// and zero bits after the last encoded byte. So there is one spelling for every byte string, and
// comparing decoded bytes is the same as comparing the text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::xmpp {

// The encoded length of `size` bytes (a multiple of 4).
constexpr std::size_t base64_encoded_size(std::size_t size) {
  return (size + 2) / 3 * 4;
}

// Appends the base64 encoding of `bytes` to `out`.
void base64_encode_to(std::string_view bytes, std::string& out);
std::string base64_encode(std::string_view bytes);

// The decoded bytes, or nullopt if `text` is not canonical base64. The empty text decodes to the
// empty string (an XMPP "=" payload is handled by the caller, before decoding).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tern::xmpp
