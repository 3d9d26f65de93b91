// SPDX-License-Identifier: MIT
// The JPEG typed value (docs/binary-xmpp.md, section 7.4). XEP-0264 thumbnails and other inline
// images are base64 JPEG files whose headers mostly repeat tables from the JPEG standard: the
// Huffman tables of ITU-T T.81 Annex K.3 and the Annex K.1 quantisation tables scaled by the
// IJG quality formula (what libjpeg writes by default). Such a segment is sent as a three- or
// four-byte reference; every other segment, and everything from the start of scan on, as bytes.
// The transform is lossless and stateless: it uses no context beyond the value itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/internal/wire.h"

namespace tern::xmpp::binary {

// Writes the items of `jpeg` (the raw file, starting FF D8). False, with nothing written, when
// the bytes are not a JPEG file; the caller then uses plain base64.
bool jpeg_write_items(std::string_view jpeg, Writer& out);

enum class JpegRead : std::uint8_t { Ok, Malformed, TooLarge };

// Reads items and appends the JPEG file they describe to `out`, refusing malformed items and a
// file that would grow past `max_size` bytes.
JpegRead jpeg_read_items(Reader& in, std::string& out, std::size_t max_size);

}  // namespace tern::xmpp::binary
