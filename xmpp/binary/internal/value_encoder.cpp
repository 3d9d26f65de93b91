// SPDX-License-Identifier: MIT
// Value encoding: one pass over the bytes for their classes, then only the forms those classes
// allow are sized. JID and prefix forms are built in scratch buffers and compared by size.
#include "xmpp/binary/internal/value_encoder.h"

#include <cstring>

#include "xmpp/binary/internal/dictionary.h"
#include "xmpp/binary/internal/jpeg.h"
#include "xmpp/binary/internal/text.h"
#include "xmpp/binary/internal/typed.h"

namespace tern::xmpp::binary {
namespace {

std::size_t literal_size(std::size_t length) {
  return length <= vbyte::kShortLiteralMax ? 1 + length : 1 + varint_size(length) + length;
}

// Writes a literal, with each forbidden C0 control replaced by U+FFFD as the XML serializer does
// (only literals can hold one: every other form has a syntax without controls).
void write_literal(Writer& out, std::string_view value) {
  if (has_controls(value)) {
    std::string clean;
    replace_controls(value, clean);
    write_literal(out, clean);
    return;
  }
  if (value.size() <= vbyte::kShortLiteralMax) {
    out.byte(static_cast<std::uint8_t>(value.size()));
  } else {
    out.byte(vbyte::kLiteral);
    out.varint(value.size());
  }
  out.bytes(value);
}

std::string_view bare_of(std::string_view jid) {
  return jid.substr(0, jid.find('/'));
}

constexpr std::size_t kMaxJid = 3071;  // RFC 7622: three parts of at most 1023 bytes

bool inserts(std::uint8_t tag) {
  return tag <= vbyte::kLiteral || tag == vbyte::kJid || tag == vbyte::kTableBare ||
         tag == vbyte::kTableBareResource;
}

}  // namespace

ValueEncoder::Choice ValueEncoder::best_simple(std::string_view value, int token) {
  Choice best{literal_size(value.size()),
              static_cast<std::uint8_t>(value.size() <= vbyte::kShortLiteralMax ? value.size()
                                                                                : vbyte::kLiteral)};
  auto consider = [&best](const Choice& c) {
    if (better(c, best)) {
      best = c;
    }
  };
  if (token == kUnknownToken) {
    token = dict::find_value(value);
  }
  if (token != dict::kNone) {
    auto index = static_cast<std::size_t>(token);
    consider(index < vbyte::kPage0Values
                 ? Choice{1, static_cast<std::uint8_t>(vbyte::kTokenFirst + index), index, 0}
                 : Choice{2, vbyte::kValuePage1, index, 0});
  }
  // Each typed form checks its own syntax, stopping at the first byte that does not fit.
  if (value.size() == kUuidText) {
    bool upper = false;
    if (parse_uuid(value, upper, uuid_bytes_)) {
      uuid_source_ = value.data();
      consider({1 + kUuidBytes, upper ? vbyte::kUuidUpper : vbyte::kUuidLower, 0, 0});
    }
  }
  std::uint64_t number = 0;
  if (value[0] >= '0' && value[0] <= '9' && parse_uint(value, number)) {
    consider({1 + varint_size(number), vbyte::kUint, 0, number});
  } else if (value.size() > 1 && value[0] == '-' && value[1] != '0' &&
             parse_uint(value.substr(1), number)) {
    consider({1 + varint_size(number), vbyte::kNegInt, 0, number});
  }
  if (value.size() >= 3 && best.tag != vbyte::kUuidLower && best.tag != vbyte::kUuidUpper) {
    if (int hex = hex_case(value); hex != 0) {
      consider({1 + varint_size(value.size()) + hex_packed_size(value.size()),
                hex == 2 ? vbyte::kHexUpper : vbyte::kHexLower, value.size(), 0});
    }
  }
  // Base64 cannot beat a UUID, hex or an integer of the same text: skip its scan then.
  bool packed = best.tag == vbyte::kUuidLower || best.tag == vbyte::kUuidUpper ||
                best.tag == vbyte::kHexLower || best.tag == vbyte::kHexUpper ||
                best.tag == vbyte::kUint;
  if (std::uint8_t tag = value.size() >= 4 && !packed ? base64_parse(value, raw_buffer_) : 0;
      tag != 0) {
    raw_source_ = value.data();
    raw_source_size_ = value.size();
    std::size_t decoded = raw_buffer_.size();
    consider({1 + varint_size(decoded) + decoded, tag, decoded, 0});
    if (tag == vbyte::kB64Pad && value.starts_with("/9j/")) {  // FF D8 FF: a JPEG file
      jpeg_buffer_.clear();
      bool jpeg = false;
      {
        Writer items(jpeg_buffer_);
        jpeg = jpeg_write_items(raw_buffer_, items);
      }
      if (jpeg) {
        consider({1 + jpeg_buffer_.size(), vbyte::kJpeg, decoded, 0});
      }
    }
  }
  bool millis = false;
  if ((value.size() == kTimestampText || value.size() == kTimestampMillisText) &&
      parse_timestamp(value, number, millis)) {
    consider(
        {1 + varint_size(number), millis ? vbyte::kTimeMillis : vbyte::kTimeSeconds, 0, number});
  }
  return best;
}

void ValueEncoder::write_simple(Writer& out, std::string_view value, const Choice& choice) {
  std::uint8_t tag = choice.tag;
  if (tag <= vbyte::kLiteral) {
    write_literal(out, value);
    return;
  }
  if (tag >= vbyte::kTokenFirst) {
    out.byte(tag);
    return;
  }
  out.byte(tag);
  switch (tag) {
    case vbyte::kValuePage1:
      out.byte(static_cast<std::uint8_t>(choice.aux - vbyte::kPage0Values));
      break;
    case vbyte::kUuidLower:
    case vbyte::kUuidUpper: {
      bool upper = false;
      if (uuid_source_ == value.data()) {
        out.bytes(uuid_bytes_, kUuidBytes);
      } else {
        parse_uuid(value, upper, reinterpret_cast<std::uint8_t*>(out.extend(kUuidBytes)));
      }
      break;
    }
    case vbyte::kUint:
    case vbyte::kNegInt:
    case vbyte::kTimeSeconds:
    case vbyte::kTimeMillis:
      out.varint(choice.number);
      break;
    case vbyte::kHexLower:
    case vbyte::kHexUpper:
      out.varint(value.size());
      hex_pack(value, reinterpret_cast<std::uint8_t*>(out.extend(hex_packed_size(value.size()))));
      break;
    case vbyte::kJpeg:
      out.bytes(jpeg_buffer_);  // filled by best_simple for this value
      break;
    default:  // the four base64 spellings
      out.varint(choice.aux);
      if (raw_source_ != value.data() || raw_source_size_ != value.size()) {
        base64_parse(value, raw_buffer_);  // another value was parsed since best_simple
      }
      out.bytes(raw_buffer_);
      break;
  }
}

std::size_t ValueEncoder::part_size(std::string_view value) {
  part_buffer_.clear();
  Writer w(part_buffer_);
  write_part(w, value);
  return w.size();
}

void ValueEncoder::write_part(Writer& out, std::string_view value, int token) {
  Choice best = best_simple(value, token);
  int prefixes[4];
  std::size_t count = dict::matching_prefixes(value, prefixes);
  std::size_t best_prefix = 0;
  Choice rest_choice;
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view rest = value.substr(dict::kPrefixes[prefixes[i]].size());
    Choice c = best_simple(rest);
    Choice candidate{2 + c.size, vbyte::kPrefix, static_cast<std::size_t>(prefixes[i]), 0};
    if (better(candidate, best)) {
      best = candidate;
      best_prefix = i;
      rest_choice = c;
    }
  }
  if (best.tag != vbyte::kPrefix) {
    if (count != 0) {
      // best_simple ran for the rests since: recompute this value's choice (and JPEG items).
      best = best_simple(value, token);
    }
    write_simple(out, value, best);
    return;
  }
  std::string_view prefix = dict::kPrefixes[prefixes[best_prefix]];
  std::string_view rest = value.substr(prefix.size());
  out.byte(vbyte::kPrefix);
  out.byte(static_cast<std::uint8_t>(prefixes[best_prefix]));
  // The JPEG items in jpeg_buffer_ are the last prefix's: recompute for an earlier one.
  write_simple(out, rest, best_prefix + 1 == count ? rest_choice : best_simple(rest));
}

bool ValueEncoder::jid_literal(std::string_view value, std::string& out) {
  std::size_t slash = value.find('/');
  std::string_view head = value.substr(0, slash);
  std::string_view resource;
  if (slash != std::string_view::npos) {
    resource = value.substr(slash + 1);
    if (resource.empty()) {
      return false;
    }
  }
  std::size_t at = head.find('@');
  std::string_view local;
  std::string_view domain = head;
  if (at != std::string_view::npos) {
    local = head.substr(0, at);
    domain = head.substr(at + 1);
    if (local.empty()) {
      return false;
    }
  }
  if (domain.empty()) {
    return false;
  }
  std::uint8_t flags = (local.empty() ? 0 : jidflag::kLocal) |
                       (slash == std::string_view::npos ? 0 : jidflag::kResource);
  std::string_view label;
  const std::string& stream = state_->stream_domain;
  if (!stream.empty() && domain == stream) {
    flags |= jidflag::kDomainStream;
  } else if (!stream.empty() && domain.size() > stream.size() + 1 && domain.ends_with(stream) &&
             domain[domain.size() - stream.size() - 1] == '.') {
    label = domain.substr(0, domain.size() - stream.size() - 1);
    if (part_size(label) <= part_size(domain)) {
      flags |= jidflag::kDomainSubdomain;
    } else {
      label = {};
    }
  }
  out.clear();
  Writer w(out);
  w.byte(vbyte::kJid);
  w.byte(flags);
  if (!local.empty()) {
    write_part(w, local);
  }
  if ((flags & jidflag::kDomainMask) == jidflag::kDomainLiteral) {
    write_part(w, domain);
  } else if ((flags & jidflag::kDomainMask) == jidflag::kDomainSubdomain) {
    write_part(w, label);
  }
  if (!resource.empty()) {
    write_part(w, resource);
  }
  return true;
}

bool ValueEncoder::one_byte(std::string_view value, ValueClass where, const StanzaRefs* refs,
                            std::uint8_t& tag, int& table_position, int& token) {
  if (where >= ValueClass::General) {
    const DirectionState& s = *state_;
    if (!s.own_full.empty() && value == s.own_full) {
      tag = vbyte::kOwnFull;
      return true;
    }
    if (!s.own_full.empty() && value == s.own_bare()) {
      tag = vbyte::kOwnBare;
      return true;
    }
    if (!s.stream_domain.empty() && value == s.stream_domain) {
      tag = vbyte::kStreamDomain;
      return true;
    }
    if (refs != nullptr) {
      if (refs->has_id && value == refs->id) {
        tag = vbyte::kStanzaId;
        return true;
      }
      if (refs->has_from && value == refs->from) {
        tag = vbyte::kStanzaFrom;
        return true;
      }
      if (refs->has_from && value == refs->from_bare) {
        tag = vbyte::kStanzaFromBare;
        return true;
      }
      if (refs->has_to && value == refs->to) {
        tag = vbyte::kStanzaTo;
        return true;
      }
    }
    if (where == ValueClass::Routing) {
      table_position = s.table.find(value);
      if (table_position >= 0) {
        tag = static_cast<std::uint8_t>(vbyte::kTableFirst + table_position);
        return true;
      }
    }
  }
  token = dict::find_value(value);
  if (token != dict::kNone && static_cast<std::size_t>(token) < vbyte::kPage0Values) {
    tag = static_cast<std::uint8_t>(vbyte::kTokenFirst + token);
    return true;
  }
  return false;
}

void ValueEncoder::write(Writer& out, std::string_view value, ValueClass where,
                         const StanzaRefs* refs) {
  if (where == ValueClass::Verbatim) {
    write_literal(out, value);
    return;
  }
  if (where == ValueClass::Routing && has_controls(value)) {
    // The table keeps what the peer decodes: the value as its literal will carry it.
    replace_controls(value, clean_buffer_);
    value = clean_buffer_;
  }
  if (value.empty()) {
    write_literal(out, value);
    return;
  }
  std::uint8_t tag = 0;
  int position = -1;
  int token = kUnknownToken;
  if (one_byte(value, where, refs, tag, position, token)) {
    out.byte(tag);
    if (position >= 0) {
      state_->table.touch(static_cast<std::size_t>(position));
    }
    return;
  }
  if (where == ValueClass::Name) {
    if (token != dict::kNone && value.size() > 1) {
      out.byte(vbyte::kValuePage1);
      out.byte(static_cast<std::uint8_t>(token - static_cast<int>(vbyte::kPage0Values)));
    } else {
      write_literal(out, value);
    }
    return;
  }
  if (where == ValueClass::Part) {
    write_part(out, value, token);
    return;
  }
  // General and routing values: a part, or one of the JID forms. JID forms are tried for values
  // with an '@' or whose text before any '/' ends with the stream domain: addresses, not URLs or
  // base64. Other values are parts, written directly.
  const std::string& domain = state_->stream_domain;
  bool jid_like = false;
  if (value.size() <= kMaxJid) {
    std::string_view head = value.substr(0, value.find('/'));
    jid_like =
        head.find('@') != std::string_view::npos || (!domain.empty() && head.ends_with(domain));
  }
  if (!jid_like) {
    std::size_t start = out.size();
    write_part(out, value, token);
    if (where == ValueClass::Routing && inserts(out.at(start))) {
      state_->table.insert(value);
    }
    return;
  }
  Choice best{part_size(value), 0xFF, 0, 0};
  best.tag = static_cast<std::uint8_t>(part_buffer_[0]);
  std::string* chosen = &value_buffer_;
  value_buffer_.swap(part_buffer_);
  if (jid_literal(value, jid_buffer_)) {
    if (better({jid_buffer_.size(), vbyte::kJid, 0, 0}, best)) {
      best = {jid_buffer_.size(), vbyte::kJid, 0, 0};
      chosen = &jid_buffer_;
    }
  }
  std::size_t bare_position = 0;
  if (where == ValueClass::Routing) {
    std::string_view bare = bare_of(value);
    int p = state_->table.find_bare(bare);
    if (p >= 0) {
      bare_position = static_cast<std::size_t>(p);
      std::size_t head = 1 + varint_size(bare_position);
      if (bare.size() == value.size()) {
        Choice c{head, vbyte::kTableBare, 0, 0};
        if (better(c, best)) {
          best = c;
          chosen = nullptr;
        }
      } else if (value.size() > bare.size() + 1) {
        std::string_view resource = value.substr(bare.size() + 1);
        Choice c{head + part_size(resource), vbyte::kTableBareResource, 0, 0};
        if (better(c, best)) {
          best = c;
          chosen = &part_buffer_;  // the resource's part encoding, from part_size
        }
      }
    }
  }
  if (best.tag == vbyte::kTableBare || best.tag == vbyte::kTableBareResource) {
    out.byte(best.tag);
    out.varint(bare_position);
  }
  if (chosen != nullptr) {
    out.bytes(*chosen);
  }
  if (where == ValueClass::Routing && inserts(best.tag)) {
    state_->table.insert(value);
  }
}

}  // namespace tern::xmpp::binary
