// SPDX-License-Identifier: MIT
// The limits a stream parser enforces on untrusted input. Every one is configurable (the server
// reads them from its config) and every violation is a policy-violation stream error
// (RFC 6120 §4.9.3.14), except text runs which are bounded by the stanza size.
#pragma once

#include <cstddef>

namespace tern::xmpp {

struct ParserLimits {
  // Bytes of one top-level element (stanza or nonza) as received, markup included. Prosody and
  // ejabberd default to 256 KiB and 64 KiB respectively for c2s; media thumbnails inline in
  // messages (XEP-0264 data: URIs) need tens of KiB.
  std::size_t max_stanza_bytes = std::size_t{256} * 1024;
  // Element nesting below the stream root (a stanza root is depth 1). Carbons wrapping a
  // forwarded MUC message with payloads reach about 8.
  std::size_t max_depth = 32;
  // Attributes on one element.
  std::size_t max_attributes = 64;
  // Bytes of one text run (between two tags) after entity decoding.
  std::size_t max_text_bytes = std::size_t{256} * 1024;
  // Bytes fed without the parser producing any event. Expat 2.5 reparses a large unfinished token
  // from its start on every feed (CVE-2023-52425), so an attacker dribbling a huge start tag costs
  // quadratic CPU. Text arrives incrementally, so only tags and attribute values can reach this.
  // bench/parser_bench measures the worst case, a maximal tag fed one byte at a time: about
  // 0.12 s of CPU at 16 KiB but 1.9 s at 64 KiB, hence this default.
  std::size_t max_token_bytes = std::size_t{16} * 1024;
};

}  // namespace tern::xmpp
