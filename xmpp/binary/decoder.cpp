// SPDX-License-Identifier: MIT
// Frames: the length prefix, the frame-level opcodes (stream header, close, keepalive, the stream
// management nonzas) and, for an element, TreeReader.
#include "xmpp/binary/decoder.h"

#include "xmpp/binary/internal/tree_reader.h"
#include "xmpp/binary/internal/typed.h"
#include "xmpp/namespaces.h"

namespace tern::xmpp::binary {

Decoder::Decoder(Role sender, Limits limits) : limits_(limits), state_(sender), values_(state_) {}

Decoder::Decoder(const Decoder& other)
    : limits_(other.limits_), state_(other.state_), values_(state_) {}

Result<std::size_t, DecodeError> Decoder::decode(std::string_view input, Frame& frame) {
  // The length prefix: a varint, possibly incomplete.
  std::uint64_t length = 0;
  std::size_t header = 0;
  for (;; ++header) {
    if (header == input.size()) {
      return std::size_t{0};
    }
    auto b = static_cast<std::uint8_t>(input[header]);
    if (header == 9 || (header > 0 && b == 0)) {
      return Err(DecodeError{DecodeErrorKind::Malformed, 0, "bad frame length"});
    }
    length |= static_cast<std::uint64_t>(b & 0x7F) << (7 * header);
    if ((b & 0x80) == 0) {
      ++header;
      break;
    }
  }
  if (length > limits_.max_frame_bytes) {
    return Err(DecodeError{DecodeErrorKind::LimitExceeded, 0, "frame larger than the limit"});
  }
  if (input.size() - header < length) {
    return std::size_t{0};
  }
  std::size_t used = header + length;
  std::string_view body = input.substr(header, length);
  frame.stanza.reset();
  if (body.empty()) {
    frame.kind = FrameKind::Keepalive;
    return used;
  }
  auto first = static_cast<std::uint8_t>(body[0]);
  if (first == ebyte::kStreamClose) {
    if (body.size() != 1) {
      return Err(DecodeError{DecodeErrorKind::Malformed, 1, "bytes after the stream close"});
    }
    frame.kind = FrameKind::StreamClose;
    return used;
  }
  auto stanza = std::make_unique<Stanza>();
  TreeReader reader(body, stanza->arena(), state_, values_, limits_);
  if (first == ebyte::kStreamOpen) {
    Reader& in = reader.in();
    std::uint8_t op = 0;
    std::uint8_t flags = 0;
    in.byte(op);
    if (!in.byte(flags) || (flags & 0xC0) != 0) {
      return Err(DecodeError{DecodeErrorKind::Malformed, in.offset(), "bad stream header flags"});
    }
    StreamHeader h;
    h.content_ns = ns::kClient;
    std::string* fields[] = {&h.content_ns, &h.to, &h.from, &h.id, &h.version, &h.lang};
    for (int bit = 0; bit < 6; ++bit) {
      bool present = (flags & (bit == 0 ? 0x20 : 1 << (bit - 1))) != 0;
      std::string_view v;
      bool stable = false;
      if (!present) {
        continue;
      }
      if (!values_.read(in, ValueClass::Part, nullptr, limits_.max_expanded_bytes, v, stable)) {
        return Err(values_.error());
      }
      fields[bit]->assign(v);
    }
    if (!in.empty()) {
      return Err(DecodeError{DecodeErrorKind::Malformed, in.offset(), "bytes after the header"});
    }
    state_.restart(state_.sender == Role::Initiator ? h.to : h.from, h.content_ns);
    frame.kind = FrameKind::StreamOpen;
    frame.header = std::move(h);
    return used;
  }
  Element* root = nullptr;
  Arena& arena = stanza->arena();
  if (first == ebyte::kSmRequest || first == ebyte::kSmAck) {
    Reader& in = reader.in();
    std::uint8_t op = 0;
    std::uint64_t h = 0;
    in.byte(op);
    if (op == ebyte::kSmAck && (!in.varint(h) || h > 0xFFFFFFFFULL)) {
      return Err(DecodeError{DecodeErrorKind::Malformed, in.offset(), "bad ack"});
    }
    if (!in.empty()) {
      return Err(DecodeError{DecodeErrorKind::Malformed, in.offset(), "bytes after the nonza"});
    }
    root = arena.make<Element>(arena, op == ebyte::kSmAck ? "a" : "r", ns::kStreamManagement);
    if (op == ebyte::kSmAck) {
      char digits[20];
      auto* attr = arena.make_array<Attribute>(1);
      attr[0] = {"h", {}, arena.copy({digits, format_uint(h, digits)})};
      root->adopt_attrs(attr, 1);
    }
  } else if (first >= ebyte::kStreamOpen || first == ebyte::kText) {
    return Err(DecodeError{DecodeErrorKind::Malformed, 0, "not a frame opcode"});
  } else if (!reader.root(root)) {
    return Err(reader.error());
  }
  stanza->set_root(root);
  frame.kind = FrameKind::Stanza;
  frame.stanza = std::move(stanza);
  return used;
}

}  // namespace tern::xmpp::binary
