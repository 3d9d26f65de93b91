// SPDX-License-Identifier: MIT
// The wire constants of Tern binary XMPP, version 1 (docs/binary-xmpp.md): the preamble, the frame
// opcodes, the E-byte (element) and V-byte (value) code points, and the limits a decoder enforces.
// Everything here is normative: a change is a new format version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xmpp/parser_limits.h"

namespace tern::xmpp::binary {

// Namespace declarations are not attributes of a tree; neither an element nor an attribute may be
// in this namespace (section 6).
inline constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

// Sent once per direction before the first frame (section 3): a byte that can start no UTF-8 text
// (so a receiver can tell binary from XML on its first byte), then the format version.
inline constexpr std::uint8_t kPreambleMagic = 0xC1;
inline constexpr std::uint8_t kFormatVersion = 1;

// Who sends a direction of the stream: the initiating entity (the client on c2s) or the receiving
// entity (the server). It decides which stream header attribute names the stream domain.
enum class Role : std::uint8_t { Initiator, Responder };

// E-bytes: the first byte of an element (section 5).
namespace ebyte {
inline constexpr std::uint8_t kFullLast = 0x7F;     // 0x00–0x7F: element table 0–127, full form
inline constexpr std::uint8_t kEmptyFirst = 0x80;   // 0x80–0xAF: empty-form list 0–47
inline constexpr std::uint8_t kTextFirst = 0xB0;    // 0xB0–0xDF: text-form list 0–47
inline constexpr std::uint8_t kPage1 = 0xE0;        // + byte b: element table 128 + b, full form
inline constexpr std::uint8_t kLiteralName = 0xE1;  // + name: literal name, parent's namespace
inline constexpr std::uint8_t kLiteralNameNs = 0xE2;  // + name + namespace
inline constexpr std::uint8_t kText = 0xE3;           // + value: a text child
// Frame-level opcodes, only as the first byte of a frame (section 4).
inline constexpr std::uint8_t kStreamOpen = 0xF0;
inline constexpr std::uint8_t kStreamClose = 0xF1;
inline constexpr std::uint8_t kSmRequest = 0xF2;  // <r xmlns='urn:xmpp:sm:3'/>
inline constexpr std::uint8_t kSmAck = 0xF3;      // <a xmlns='urn:xmpp:sm:3' h='varint'/>
inline constexpr std::size_t kEmptyForms = 48;
inline constexpr std::size_t kTextForms = 48;
inline constexpr std::size_t kPage0Elements = 128;
}  // namespace ebyte

// A-bytes: attribute names (section 6).
namespace abyte {
inline constexpr std::uint8_t kLiteralName = 0xFE;    // + name
inline constexpr std::uint8_t kLiteralNameNs = 0xFF;  // + name + namespace
}  // namespace abyte

// V-bytes: the first byte of a value (section 7).
namespace vbyte {
inline constexpr std::uint8_t kShortLiteralMax = 0x3F;  // 0x00–0x3F: literal of 0–63 bytes
inline constexpr std::uint8_t kLiteral = 0x40;          // + varint length + bytes
inline constexpr std::uint8_t kUuidLower = 0x41;        // + 16 bytes
inline constexpr std::uint8_t kUuidUpper = 0x42;
inline constexpr std::uint8_t kHexLower = 0x43;  // + varint digit count + packed nibbles
inline constexpr std::uint8_t kHexUpper = 0x44;
inline constexpr std::uint8_t kUint = 0x45;    // + varint
inline constexpr std::uint8_t kNegInt = 0x46;  // + varint magnitude (>= 1)
inline constexpr std::uint8_t kB64Pad = 0x47;  // + varint length + bytes: standard, padded
inline constexpr std::uint8_t kB64 = 0x48;     // standard alphabet, no padding
inline constexpr std::uint8_t kB64UrlPad = 0x49;
inline constexpr std::uint8_t kB64Url = 0x4A;
inline constexpr std::uint8_t kTimeSeconds = 0x4B;        // + varint seconds since 1970
inline constexpr std::uint8_t kTimeMillis = 0x4C;         // + varint milliseconds since 1970
inline constexpr std::uint8_t kPrefix = 0x4D;             // + prefix index + simple value
inline constexpr std::uint8_t kValuePage1 = 0x4E;         // + byte b: value table 96 + b
inline constexpr std::uint8_t kJpeg = 0x4F;               // + JPEG items: base64 of a JPEG file
inline constexpr std::uint8_t kJid = 0x50;                // + flags + parts
inline constexpr std::uint8_t kTableBare = 0x51;          // + varint index (routing only)
inline constexpr std::uint8_t kTableBareResource = 0x52;  // + varint index + part (routing only)
inline constexpr std::uint8_t kOwnFull = 0x54;
inline constexpr std::uint8_t kOwnBare = 0x55;
inline constexpr std::uint8_t kStreamDomain = 0x56;
inline constexpr std::uint8_t kStanzaId = 0x57;
inline constexpr std::uint8_t kStanzaFrom = 0x58;
inline constexpr std::uint8_t kStanzaFromBare = 0x59;
inline constexpr std::uint8_t kStanzaTo = 0x5A;
inline constexpr std::uint8_t kTableFirst = 0x60;  // 0x60–0x9F: JID table 0–63 (routing only)
inline constexpr std::uint8_t kTokenFirst = 0xA0;  // 0xA0–0xFF: value table 0–95
inline constexpr std::size_t kPage0Values = 96;
}  // namespace vbyte

// The JID literal's flags byte (section 7.5).
namespace jidflag {
inline constexpr std::uint8_t kLocal = 0x01;
inline constexpr std::uint8_t kResource = 0x02;
inline constexpr std::uint8_t kDomainMask = 0x0C;
inline constexpr std::uint8_t kDomainLiteral = 0x00;
inline constexpr std::uint8_t kDomainStream = 0x04;
inline constexpr std::uint8_t kDomainSubdomain = 0x08;  // label '.' stream domain
}  // namespace jidflag

// JPEG items (section 7.4).
namespace jpeg {
inline constexpr std::uint8_t kSegment = 0x00;     // + marker + varint length + bytes
inline constexpr std::uint8_t kStdHuffman = 0x01;  // + Tc/Th + table (0 luma, 1 chroma)
inline constexpr std::uint8_t kStdQuant = 0x02;    // + Pq/Tq + table + quality 1..100
inline constexpr std::uint8_t kRest = 0x03;        // + varint length + bytes, last item
}  // namespace jpeg

// The per-direction JID table (section 8).
inline constexpr std::size_t kJidTableSize = 64;
inline constexpr std::size_t kJidTableMaxEntry = 255;  // longer addresses are never inserted

// What a decoder accepts; the defaults follow the XML parser's (xmpp/parser_limits.h), so a peer
// cannot send in binary what it could not send as XML.
struct Limits {
  std::size_t max_frame_bytes = std::size_t{256} * 1024;
  // The decoded tree measured as XML (tags, attributes, text, without escaping): bounds the
  // expansion of typed values, tokens and table references.
  std::size_t max_expanded_bytes = std::size_t{256} * 1024;
  std::size_t max_depth = 32;  // a stanza root is depth 1
  std::size_t max_attributes = 64;

  static Limits from(const ParserLimits& parser) {
    return {parser.max_stanza_bytes, parser.max_stanza_bytes, parser.max_depth,
            parser.max_attributes};
  }
};

}  // namespace tern::xmpp::binary
