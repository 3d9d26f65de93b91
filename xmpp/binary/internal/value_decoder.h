// SPDX-License-Identifier: MIT
// ValueDecoder: reads one value (docs/binary-xmpp.md, section 7) and applies the JID table rules
// of routing positions, refusing every form the position does not allow, every reference to
// something absent and every literal that is not XML text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/errors.h"
#include "xmpp/binary/internal/jid_table.h"
#include "xmpp/binary/internal/value_encoder.h"
#include "xmpp/binary/internal/wire.h"

namespace tern::xmpp::binary {

class ValueDecoder {
 public:
  explicit ValueDecoder(DirectionState& state) : state_(&state) {}

  // Reads a value of class `where` whose text is at most `budget` bytes. On success `out` views
  // static storage (then `stable` is true: it never needs copying), the input or this decoder's
  // buffers (valid until the next read). On failure error() says why.
  bool read(Reader& in, ValueClass where, const StanzaRefs* refs, std::size_t budget,
            std::string_view& out, bool& stable);
  const DecodeError& error() const { return error_; }
  bool fail(DecodeErrorKind kind, std::string_view reason, const Reader& in);

 private:
  bool simple(Reader& in, std::uint8_t tag, std::size_t budget, std::string& buffer,
              std::string_view& out, bool& stable);
  bool prefixed(Reader& in, std::size_t budget, std::string& buffer, std::string_view& out);
  bool part(Reader& in, std::size_t budget, std::string_view& out);
  bool jid(Reader& in, std::size_t budget, std::string_view& out);
  bool reference(Reader& in, std::uint8_t tag, ValueClass where, const StanzaRefs* refs,
                 std::size_t budget, std::string_view& out);

  DirectionState* state_;
  DecodeError error_;
  std::string scratch_;  // simple typed values
  std::string rest_;     // the rest of a prefix form
  std::string part_;     // a part in progress
  std::string compose_;  // JID forms
  std::string jpeg_;     // a rebuilt JPEG file
};

}  // namespace tern::xmpp::binary
