// SPDX-License-Identifier: MIT
// DecodeError: why a frame was refused (docs/binary-xmpp.md, section 9), where, and the stream
// error the receiver answers with. Every error is fatal to the stream, as in XML.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xmpp/stream_error.h"

namespace tern::xmpp::binary {

enum class DecodeErrorKind : std::uint8_t {
  Malformed,      // truncated inside a frame, unknown or reserved code, bad count or varint
  LimitExceeded,  // frame size, expanded size, depth or attribute count over Limits
  InvalidText,    // a literal that is not UTF-8 XML text
  InvalidName,    // a literal name that is not an ASCII NCName, or a reserved name or namespace
  Duplicate,      // the same attribute twice on one element
  BadReference,   // a table position, own JID, stream domain or stanza attribute that is not there
};

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::Malformed;
  std::size_t offset = 0;   // bytes into the frame body
  std::string_view reason;  // static text

  // policy-violation for limits, not-well-formed for everything else (section 9).
  StreamCondition condition() const {
    return kind == DecodeErrorKind::LimitExceeded ? StreamCondition::PolicyViolation
                                                  : StreamCondition::NotWellFormed;
  }
};

}  // namespace tern::xmpp::binary
