// SPDX-License-Identifier: MIT
// TreeReader: the body of one frame to an Element tree (docs/binary-xmpp.md sections 5–7), for
// Decoder. Names and namespaces from the dictionary are static strings, so a tokenised element
// costs no copy; every other string is copied into the stanza's arena once. The tree is measured
// as XML as it grows and refused past Limits::max_expanded_bytes. Internal to the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xmpp/binary/errors.h"
#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/jid_table.h"
#include "xmpp/binary/internal/text.h"
#include "xmpp/binary/internal/value_decoder.h"
#include "xmpp/element.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp::binary {

class TreeReader {
 public:
  TreeReader(std::string_view body, Arena& arena, DirectionState& state, ValueDecoder& values,
             const Limits& limits)
      : in_(body), arena_(arena), state_(state), values_(values), limits_(limits) {}

  bool root(Element*& out) {
    std::uint8_t b = 0;
    in_.byte(b);
    if (!element(b, state_.content_ns, nullptr, true, 1, out)) {
      return false;
    }
    return in_.empty() || fail(DecodeErrorKind::Malformed, "bytes after the root element");
  }
  bool fail(DecodeErrorKind kind, std::string_view reason) {
    error_ = {kind, in_.offset(), reason};
    return false;
  }
  const DecodeError& error() const { return error_; }
  Reader& in() { return in_; }

 private:
  bool charge(std::size_t bytes) {
    expanded_ += bytes;
    return expanded_ <= limits_.max_expanded_bytes ||
           fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit");
  }
  std::size_t budget() const { return limits_.max_expanded_bytes - expanded_; }

  // A value that must outlive the next read: copied into the arena unless static.
  bool value(ValueClass where, const StanzaRefs* refs, std::string_view& out) {
    bool stable = false;
    if (!values_.read(in_, where, refs, budget(), out, stable)) {
      error_ = values_.error();
      return false;
    }
    if (!stable) {
      out = arena_.copy(out);
    }
    return true;
  }

  bool read_name(std::string_view& out) {
    return value(ValueClass::Name, nullptr, out) &&
           (valid_name(out) || fail(DecodeErrorKind::InvalidName, "not an ASCII NCName"));
  }

  bool element_ns(std::string_view& out) {
    if (!value(ValueClass::Name, nullptr, out)) {
      return false;
    }
    return (out != kXmlnsNs && out != ns::kXml) ||
           fail(DecodeErrorKind::InvalidName, "reserved namespace for an element");
  }

  bool element(std::uint8_t b, std::string_view parent_ns, const StanzaRefs* refs, bool routing,
               std::size_t depth, Element*& out);
  bool stanza(int token, Element* e, bool routing, std::size_t depth);
  bool attribute(Attribute* attrs, std::size_t at, const StanzaRefs* refs);
  bool children(Element* e, std::uint64_t count, bool after_text, bool verbatim,
                const StanzaRefs* refs, std::size_t depth);
  bool text(Element* e, bool verbatim, const StanzaRefs* refs) {
    std::string_view t;
    bool stable = false;
    if (!values_.read(in_, verbatim ? ValueClass::Verbatim : ValueClass::General, refs, budget(), t,
                      stable)) {
      error_ = values_.error();
      return false;
    }
    if (t.empty()) {
      return fail(DecodeErrorKind::Malformed, "empty text");
    }
    e->add_text(t);
    return charge(t.size());
  }

  Reader in_;
  Arena& arena_;
  DirectionState& state_;
  ValueDecoder& values_;
  const Limits& limits_;
  DecodeError error_;
  std::size_t expanded_ = 0;
};

}  // namespace tern::xmpp::binary
