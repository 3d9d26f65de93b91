// SPDX-License-Identifier: MIT
// Value decoding. Sizes are checked before anything is materialised: a literal or a packed form
// cannot be longer than the frame, and what expands (hex, base64, JPEG items, references) is held
// to the frame's remaining expansion budget.
#include "xmpp/binary/internal/value_decoder.h"

#include "xmpp/binary/internal/dictionary.h"
#include "xmpp/binary/internal/jpeg.h"
#include "xmpp/binary/internal/text.h"
#include "xmpp/binary/internal/typed.h"

namespace tern::xmpp::binary {
namespace {

bool is_simple_tag(std::uint8_t tag) {
  return tag <= vbyte::kTimeMillis || tag == vbyte::kValuePage1 || tag == vbyte::kJpeg ||
         tag >= vbyte::kTokenFirst;
}

bool inserts(std::uint8_t tag) {
  return tag <= vbyte::kLiteral || tag == vbyte::kJid || tag == vbyte::kTableBare ||
         tag == vbyte::kTableBareResource;
}

}  // namespace

bool ValueDecoder::fail(DecodeErrorKind kind, std::string_view reason, const Reader& in) {
  error_ = {kind, in.offset(), reason};
  return false;
}

bool ValueDecoder::simple(Reader& in, std::uint8_t tag, std::size_t budget, std::string& buffer,
                          std::string_view& out, bool& stable) {
  stable = false;
  std::uint64_t n = 0;
  std::string_view bytes;
  if (tag <= vbyte::kLiteral) {
    if (tag == vbyte::kLiteral && !in.varint(n)) {
      return fail(DecodeErrorKind::Malformed, "bad literal length", in);
    }
    std::uint64_t length = tag == vbyte::kLiteral ? n : tag;
    if (!in.bytes(length, out)) {
      return fail(DecodeErrorKind::Malformed, "literal past the end of the frame", in);
    }
    if (!valid_xml_text(out)) {
      return fail(DecodeErrorKind::InvalidText, "literal is not UTF-8 XML text", in);
    }
  } else if (tag >= vbyte::kTokenFirst || tag == vbyte::kValuePage1) {
    std::size_t index = tag - vbyte::kTokenFirst;
    if (tag == vbyte::kValuePage1) {
      std::uint8_t b = 0;
      if (!in.byte(b) || vbyte::kPage0Values + b >= dict::kValueCount) {
        return fail(DecodeErrorKind::Malformed, "value token out of range", in);
      }
      index = vbyte::kPage0Values + b;
    }
    out = dict::kValues[index];
    stable = true;
  } else if (tag == vbyte::kUuidLower || tag == vbyte::kUuidUpper) {
    if (!in.bytes(kUuidBytes, bytes)) {
      return fail(DecodeErrorKind::Malformed, "truncated UUID", in);
    }
    buffer.resize(kUuidText);
    format_uuid(reinterpret_cast<const std::uint8_t*>(bytes.data()), tag == vbyte::kUuidUpper,
                buffer.data());
    out = buffer;
  } else if (tag == vbyte::kHexLower || tag == vbyte::kHexUpper) {
    if (!in.varint(n) || n == 0 || n / 2 > in.remaining() || !in.bytes(hex_packed_size(n), bytes)) {
      return fail(DecodeErrorKind::Malformed, "bad hex value", in);
    }
    if (n > budget) {
      return fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
    }
    buffer.resize(n);
    if (!hex_unpack(reinterpret_cast<const std::uint8_t*>(bytes.data()), n, tag == vbyte::kHexUpper,
                    buffer.data())) {
      return fail(DecodeErrorKind::Malformed, "odd hex value with a non-zero first nibble", in);
    }
    out = buffer;
  } else if (tag == vbyte::kUint || tag == vbyte::kNegInt) {
    if (!in.varint(n) || (tag == vbyte::kNegInt && n == 0)) {
      return fail(DecodeErrorKind::Malformed, "bad integer", in);
    }
    buffer.resize(21);
    std::size_t at = tag == vbyte::kNegInt ? 1 : 0;
    buffer[0] = '-';
    buffer.resize(at + format_uint(n, buffer.data() + at));
    out = buffer;
  } else if (tag >= vbyte::kB64Pad && tag <= vbyte::kB64Url) {
    if (!in.varint(n) || !in.bytes(n, bytes)) {
      return fail(DecodeErrorKind::Malformed, "bad base64 value", in);
    }
    bool padded = tag == vbyte::kB64Pad || tag == vbyte::kB64UrlPad;
    std::size_t size = base64_text_size(n, padded);
    if (size > budget) {
      return fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
    }
    buffer.resize(size);
    base64_encode(reinterpret_cast<const std::uint8_t*>(bytes.data()), n, tag >= vbyte::kB64UrlPad,
                  padded, buffer.data());
    out = buffer;
  } else if (tag == vbyte::kTimeSeconds || tag == vbyte::kTimeMillis) {
    bool millis = tag == vbyte::kTimeMillis;
    buffer.resize(millis ? kTimestampMillisText : kTimestampText);
    if (!in.varint(n) || !format_timestamp(n, millis, buffer.data())) {
      return fail(DecodeErrorKind::Malformed, "bad timestamp", in);
    }
    out = buffer;
  } else if (tag == vbyte::kJpeg) {
    jpeg_.clear();
    JpegRead read = jpeg_read_items(in, jpeg_, budget / 4 * 3);
    if (read == JpegRead::TooLarge) {
      return fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
    }
    if (read != JpegRead::Ok) {
      return fail(DecodeErrorKind::Malformed, "bad JPEG items", in);
    }
    buffer.resize(base64_text_size(jpeg_.size(), true));
    base64_encode(reinterpret_cast<const std::uint8_t*>(jpeg_.data()), jpeg_.size(), false, true,
                  buffer.data());
    out = buffer;
  } else {
    return fail(DecodeErrorKind::Malformed, "value form not allowed here", in);
  }
  if (out.size() > budget) {
    return fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
  }
  return true;
}

bool ValueDecoder::prefixed(Reader& in, std::size_t budget, std::string& buffer,
                            std::string_view& out) {
  std::uint8_t index = 0;
  std::uint8_t tag = 0;
  if (!in.byte(index) || index >= dict::kPrefixCount || !in.byte(tag) || !is_simple_tag(tag)) {
    return fail(DecodeErrorKind::Malformed, "bad prefix form", in);
  }
  std::string_view prefix = dict::kPrefixes[index];
  if (prefix.size() > budget) {
    return fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
  }
  std::string_view rest;
  bool stable = false;
  if (!simple(in, tag, budget - prefix.size(), rest_, rest, stable)) {
    return false;
  }
  if (rest.empty()) {
    return fail(DecodeErrorKind::Malformed, "empty prefix rest", in);
  }
  buffer.assign(prefix);
  buffer.append(rest);
  out = buffer;
  return true;
}

bool ValueDecoder::part(Reader& in, std::size_t budget, std::string_view& out) {
  std::uint8_t tag = 0;
  bool stable = false;
  if (!in.byte(tag)) {
    return fail(DecodeErrorKind::Malformed, "truncated value", in);
  }
  if (tag == vbyte::kPrefix) {
    return prefixed(in, budget, part_, out);
  }
  return simple(in, tag, budget, part_, out, stable);
}

bool ValueDecoder::jid(Reader& in, std::size_t budget, std::string_view& out) {
  std::uint8_t flags = 0;
  if (!in.byte(flags) || (flags & 0xF0) != 0 || (flags & jidflag::kDomainMask) == 0x0C) {
    return fail(DecodeErrorKind::Malformed, "bad JID flags", in);
  }
  compose_.clear();
  std::string_view piece;
  auto add_part = [&](char before) {
    if (!part(in, budget - compose_.size(), piece)) {
      return false;
    }
    if (piece.empty()) {
      return fail(DecodeErrorKind::Malformed, "empty JID part", in);
    }
    if (before != '\0') {
      compose_ += before;
    }
    compose_.append(piece);
    return compose_.size() <= budget ||
           fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
  };
  if ((flags & jidflag::kLocal) != 0 && !add_part('\0')) {
    return false;
  }
  if ((flags & jidflag::kLocal) != 0) {
    compose_ += '@';
  }
  std::uint8_t domain = flags & jidflag::kDomainMask;
  if (domain != jidflag::kDomainLiteral && state_->stream_domain.empty()) {
    return fail(DecodeErrorKind::BadReference, "no stream domain", in);
  }
  if (domain == jidflag::kDomainLiteral && !add_part('\0')) {
    return false;
  }
  if (domain == jidflag::kDomainSubdomain) {
    if (!add_part('\0')) {
      return false;
    }
    compose_ += '.';
  }
  if (domain != jidflag::kDomainLiteral) {
    compose_ += state_->stream_domain;
  }
  if ((flags & jidflag::kResource) != 0 && !add_part('/')) {
    return false;
  }
  out = compose_;
  return compose_.size() <= budget ||
         fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
}

bool ValueDecoder::reference(Reader& in, std::uint8_t tag, ValueClass where, const StanzaRefs* refs,
                             std::size_t budget, std::string_view& out) {
  JidTable& table = state_->table;
  bool routing = where == ValueClass::Routing;
  if (tag >= vbyte::kTableFirst && tag < vbyte::kTokenFirst) {
    std::size_t position = tag - vbyte::kTableFirst;
    if (!routing || position >= table.size()) {
      return fail(DecodeErrorKind::BadReference, "JID table reference", in);
    }
    out = table.at(position);
    table.touch(position);
  } else if (tag == vbyte::kTableBare || tag == vbyte::kTableBareResource) {
    std::uint64_t position = 0;
    if (!in.varint(position) || !routing || position >= table.size()) {
      return fail(DecodeErrorKind::BadReference, "JID table reference", in);
    }
    compose_.assign(table.bare_at(position));
    if (tag == vbyte::kTableBareResource) {
      std::string_view resource;
      if (!part(in, budget, resource)) {
        return false;
      }
      if (resource.empty()) {
        return fail(DecodeErrorKind::Malformed, "empty JID part", in);
      }
      compose_ += '/';
      compose_.append(resource);
    }
    out = compose_;
  } else if (tag == vbyte::kOwnFull || tag == vbyte::kOwnBare) {
    if (state_->own_full.empty()) {
      return fail(DecodeErrorKind::BadReference, "own JID not bound", in);
    }
    out = tag == vbyte::kOwnFull ? std::string_view(state_->own_full) : state_->own_bare();
  } else if (tag == vbyte::kStreamDomain) {
    if (state_->stream_domain.empty()) {
      return fail(DecodeErrorKind::BadReference, "no stream domain", in);
    }
    out = state_->stream_domain;
  } else if (tag >= vbyte::kStanzaId && tag <= vbyte::kStanzaTo) {
    bool present = refs != nullptr && (tag == vbyte::kStanzaId   ? refs->has_id
                                       : tag == vbyte::kStanzaTo ? refs->has_to
                                                                 : refs->has_from);
    if (!present) {
      return fail(DecodeErrorKind::BadReference, "stanza attribute reference", in);
    }
    out = tag == vbyte::kStanzaId     ? refs->id
          : tag == vbyte::kStanzaTo   ? refs->to
          : tag == vbyte::kStanzaFrom ? refs->from
                                      : refs->from_bare;
  } else {
    return fail(DecodeErrorKind::Malformed, "reserved value code", in);
  }
  return out.size() <= budget ||
         fail(DecodeErrorKind::LimitExceeded, "frame expands past the limit", in);
}

bool ValueDecoder::read(Reader& in, ValueClass where, const StanzaRefs* refs, std::size_t budget,
                        std::string_view& out, bool& stable) {
  std::uint8_t tag = 0;
  stable = false;
  if (!in.byte(tag)) {
    return fail(DecodeErrorKind::Malformed, "truncated value", in);
  }
  switch (where) {
    case ValueClass::Verbatim:
      if (tag > vbyte::kLiteral) {
        return fail(DecodeErrorKind::Malformed, "message text must be a literal", in);
      }
      return simple(in, tag, budget, scratch_, out, stable);
    case ValueClass::Name:
      if (tag > vbyte::kLiteral && tag != vbyte::kValuePage1 && tag < vbyte::kTokenFirst) {
        return fail(DecodeErrorKind::Malformed, "names are literals or tokens", in);
      }
      return simple(in, tag, budget, scratch_, out, stable);
    default:
      break;
  }
  if (is_simple_tag(tag)) {
    if (!simple(in, tag, budget, scratch_, out, stable)) {
      return false;
    }
  } else if (tag == vbyte::kPrefix) {
    if (!prefixed(in, budget, scratch_, out)) {
      return false;
    }
  } else if (where == ValueClass::Part) {
    return fail(DecodeErrorKind::Malformed, "value form not allowed here", in);
  } else if (tag == vbyte::kJid) {
    if (!jid(in, budget, out)) {
      return false;
    }
  } else if (!reference(in, tag, where, refs, budget, out)) {
    return false;
  }
  if (where == ValueClass::Routing && inserts(tag) && !out.empty()) {
    state_->table.insert(out);
  }
  return true;
}

}  // namespace tern::xmpp::binary
