// SPDX-License-Identifier: MIT
// Encoder: one direction of a binary stream, Element trees and stream headers in, frames out
// (docs/binary-xmpp.md). It keeps the direction's state (JID table, own JID, stream domain) in
// step with the peer's Decoder, so one Encoder serves one direction of one connection, and every
// frame it produces must be sent, in order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/jid_table.h"
#include "xmpp/binary/internal/value_encoder.h"
#include "xmpp/element.h"
#include "xmpp/result.h"
#include "xmpp/stream_header.h"

namespace tern::xmpp::binary {

enum class EncodeError : std::uint8_t {
  InvalidName,   // an element or attribute name that is not an ASCII NCName (section 6)
  ReservedName,  // an xmlns attribute, or a name in the xmlns or xml namespace
  TooDeep,       // nesting deeper than Limits::max_depth
  TooManyAttributes,
};

std::string_view describe(EncodeError error);

class Encoder {
 public:
  // `sender`: the role of the entity that sends this direction (Initiator for a client's output).
  explicit Encoder(Role sender, Limits limits = {});
  Encoder(const Encoder& other);
  Encoder& operator=(const Encoder&) = delete;

  // Appends one frame holding `element`, a top-level stream element (stanza or nonza). On error
  // nothing is appended and the state is unchanged (the JID table's changes are undone).
  Result<void, EncodeError> encode(const Element& element, std::string& out);
  // Appends a stream header frame and restarts the state (section 4.1).
  void encode_stream_open(const StreamHeader& header, std::string& out);
  static void encode_stream_close(std::string& out);
  // A frame of length zero: the binary form of a whitespace keepalive.
  static void encode_keepalive(std::string& out) { out.push_back('\0'); }

  // Binds the own JID (section 8.3): the server right after sending the bind result, the client
  // right after receiving it. A stream header clears it.
  void set_own_jid(std::string_view full_jid) { state_.set_own_jid(full_jid); }
  const DirectionState& state() const { return state_; }

 private:
  // Each returns false, with error_ set, when the tree cannot be carried.
  bool element(Writer& out, const Element& e, std::string_view parent_ns, const StanzaRefs* refs,
               bool routing, std::size_t depth);
  bool stanza(Writer& out, const Element& e, int token, bool routing, std::size_t depth);
  bool attribute(Writer& out, const Attribute& a, const StanzaRefs* refs);
  // The items from node `from` on; `count` is increased by how many were written.
  bool children(Writer& out, const Element& e, const Node* from, bool verbatim,
                const StanzaRefs* refs, std::size_t depth, std::size_t& count);
  bool fail(EncodeError error);
  void text(Writer& out, std::string_view text, bool verbatim, const StanzaRefs* refs);
  bool short_form(const Element& e, Writer& out);

  Limits limits_;
  DirectionState state_;
  ValueEncoder values_;
  std::string merged_;  // adjacent text nodes joined
  EncodeError error_ = EncodeError::InvalidName;
};

}  // namespace tern::xmpp::binary
