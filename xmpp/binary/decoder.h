// SPDX-License-Identifier: MIT
// Decoder: one direction of a binary stream, frames in, the same Element trees and stream headers
// the XML parser produces out (docs/binary-xmpp.md). It enforces Limits and refuses anything an
// XML stream could not carry, so what it accepts can be routed to plain-XML peers unchanged. It
// does no I/O: feed it the bytes received so far and it takes whole frames from their front.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/errors.h"
#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/jid_table.h"
#include "xmpp/binary/internal/value_decoder.h"
#include "xmpp/result.h"
#include "xmpp/stanza.h"
#include "xmpp/stream_header.h"

namespace tern::xmpp::binary {

enum class FrameKind : std::uint8_t {
  Stanza,       // any top-level element, nonzas included: `stanza` holds it
  StreamOpen,   // a stream header: `header` holds it; the direction's state was reset
  StreamClose,  // </stream:stream>
  Keepalive,    // a frame of length zero
};

struct Frame {
  FrameKind kind = FrameKind::Keepalive;
  StanzaPtr stanza;
  StreamHeader header;
};

class Decoder {
 public:
  // `sender`: the role of the peer that sends this direction (Initiator when a server decodes
  // what its client sent).
  explicit Decoder(Role sender, Limits limits = {});
  // A copy continues from the same state (to try a frame without committing to it).
  Decoder(const Decoder& other);
  Decoder& operator=(const Decoder&) = delete;

  // Decodes the frame at the front of `input` into `frame` and returns its size in bytes, or 0
  // when `input` does not hold a whole frame yet (nothing is changed then). An error is fatal:
  // the stream must be closed with error.condition().
  Result<std::size_t, DecodeError> decode(std::string_view input, Frame& frame);

  // See Encoder::set_own_jid: the server binds it when it sends the bind result, the client when
  // it receives it.
  void set_own_jid(std::string_view full_jid) { state_.set_own_jid(full_jid); }
  const DirectionState& state() const { return state_; }
  // Applies from the next frame.
  void set_limits(const Limits& limits) { limits_ = limits; }

 private:
  Limits limits_;
  DirectionState state_;
  ValueDecoder values_;
};

}  // namespace tern::xmpp::binary
