// SPDX-License-Identifier: MIT
// ValueEncoder: chooses and writes the encoding of one string value (docs/binary-xmpp.md,
// section 7). Every applicable form is sized and the shortest wins, ties going to the smaller
// first byte (section 10, the reference policy). Where the value stands decides which forms
// apply: verbatim text is always a literal; names are literals or tokens; JID parts and stream
// header fields take simple and prefix forms; other values add JID literals, the own JID, the
// stream domain and references to the enclosing stanza's attributes; routing positions add the
// JID table, whose updates this class applies exactly as the decoder will.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/internal/jid_table.h"
#include "xmpp/binary/internal/wire.h"

namespace tern::xmpp::binary {

enum class ValueClass : std::uint8_t {
  Verbatim,  // message text: literal only
  Name,      // element and attribute names, namespaces: literal or value token
  Part,      // JID parts, stream header fields: simple values and prefix forms
  General,   // attribute values and text: parts, JID forms, own JID, stream domain, stanza refs
  Routing,   // to/from of a routed stanza: General plus the JID table
};

// The already-written attributes of the nearest enclosing stanza form (section 7.6).
struct StanzaRefs {
  std::string_view id;
  std::string_view from;
  std::string_view from_bare;  // `from` before its first '/'
  std::string_view to;
  bool has_id = false;
  bool has_from = false;
  bool has_to = false;
};

class ValueEncoder {
 public:
  explicit ValueEncoder(DirectionState& state) : state_(&state) {}

  void write(Writer& out, std::string_view value, ValueClass where, const StanzaRefs* refs);

 private:
  struct Choice {
    std::size_t size = 0;
    std::uint8_t tag = 0;
    std::size_t aux = 0;  // digits, decoded bytes, table position, prefix index
    std::uint64_t number = 0;
  };
  static bool better(const Choice& a, const Choice& b) {
    return a.size < b.size || (a.size == b.size && a.tag < b.tag);
  }

  static constexpr int kUnknownToken = -2;
  // `token`: the value's dict::find_value(), when the caller has it.
  Choice best_simple(std::string_view value, int token = kUnknownToken);
  void write_simple(Writer& out, std::string_view value, const Choice& choice);
  // The best part encoding (simple or prefix form) of `value`, written to `out`.
  void write_part(Writer& out, std::string_view value, int token = kUnknownToken);
  std::size_t part_size(std::string_view value);
  bool jid_literal(std::string_view value, std::string& out);
  bool one_byte(std::string_view value, ValueClass where, const StanzaRefs* refs, std::uint8_t& tag,
                int& table_position, int& token);

  DirectionState* state_;
  std::string jid_buffer_;
  std::string part_buffer_;
  std::string value_buffer_;
  std::string jpeg_buffer_;
  std::string raw_buffer_;
  std::string clean_buffer_;
  // The UUID best_simple parsed last, for write_simple.
  const char* uuid_source_ = nullptr;
  const char* raw_source_ = nullptr;  // the value whose base64 bytes raw_buffer_ holds
  std::size_t raw_source_size_ = 0;
  std::uint8_t uuid_bytes_[16] = {};
};

}  // namespace tern::xmpp::binary
