// SPDX-License-Identifier: MIT
// Fuzz target for the binary XMPP decoder (docs/binary-xmpp.md). Byte 0 chooses the options:
// bit 0 the sender's role (responder), bit 1 an own JID bound from the start, bit 2 a stream
// header first (so the stream domain is set), bit 3 small limits. The rest is a byte stream of
// frames, decoded until it ends or fails. Oracle: no crash or sanitizer report, and every frame
// that decodes is encoded again by a fresh encoder whose decoder gives back the same tree (or
// header): decode(encode(decode(x))) == decode(x).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"

namespace {

using namespace tern::xmpp::binary;

constexpr std::string_view kOwnJid = "4915123456789@s.example.net/Conversations.iK2Z";

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

bool same_header(const tern::xmpp::StreamHeader& a, const tern::xmpp::StreamHeader& b) {
  return a.to == b.to && a.from == b.from && a.id == b.id && a.version == b.version &&
         a.lang == b.lang && a.content_ns == b.content_ns;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::uint8_t options = data[0];
  Role role = (options & 0x01) != 0 ? Role::Responder : Role::Initiator;
  Limits limits;
  if ((options & 0x08) != 0) {
    limits.max_frame_bytes = 512;
    limits.max_expanded_bytes = 2048;
    limits.max_depth = 4;
    limits.max_attributes = 4;
  }
  Decoder input(role, limits);
  Limits relaxed;  // the re-encoding may be larger than the input: no limit on it
  relaxed.max_frame_bytes = SIZE_MAX;
  relaxed.max_expanded_bytes = SIZE_MAX;
  Encoder encoder(role, relaxed);
  Decoder output(role, relaxed);
  if ((options & 0x02) != 0) {
    input.set_own_jid(kOwnJid);
    encoder.set_own_jid(kOwnJid);
    output.set_own_jid(kOwnJid);
  }
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string header_frame;
  if ((options & 0x04) != 0) {
    // A stream header in front: its domain feeds the JID forms.
    tern::xmpp::StreamHeader h{"s.example.net", "s.example.net", "", "1.0", "", "jabber:client"};
    Encoder(role).encode_stream_open(h, header_frame);
    header_frame += rest;
    rest = header_frame;
  }
  std::string again;
  while (!rest.empty()) {
    Frame frame;
    auto used = input.decode(rest, frame);
    if (!used.ok() || *used == 0) {
      break;
    }
    rest.remove_prefix(*used);
    again.clear();
    switch (frame.kind) {
      case FrameKind::Keepalive:
        Encoder::encode_keepalive(again);
        break;
      case FrameKind::StreamClose:
        Encoder::encode_stream_close(again);
        break;
      case FrameKind::StreamOpen:
        encoder.encode_stream_open(frame.header, again);
        break;
      case FrameKind::Stanza:
        check(encoder.encode(frame.stanza->root(), again).ok());
        break;
    }
    Frame back;
    auto back_used = output.decode(again, back);
    check(back_used.ok() && *back_used == again.size() && back.kind == frame.kind);
    if (frame.kind == FrameKind::Stanza) {
      check(tern::xmpp::equal_trees(frame.stanza->root(), back.stanza->root()));
    } else if (frame.kind == FrameKind::StreamOpen) {
      check(same_header(frame.header, back.header));
    }
  }
  return 0;
}
