// SPDX-License-Identifier: MIT
// BinaryWire: the client's side of Tern binary XMPP (docs/binary-xmpp.md) for ClientStream, once
// TLS agreed on ALPN tern-xmpp-binary/1: the preamble, stream headers and elements as frames, and
// incoming frames turned into the same StreamSink events the XML parser gives, so the rest of the
// negotiation never knows which form the stream speaks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/stream_parser.h"

namespace tern::client {

class BinaryWire {
 public:
  // The full JID bound when <resumed/> arrives (§8.3): the one of the session being resumed.
  explicit BinaryWire(std::string resume_jid = {}) : resume_jid_(std::move(resume_jid)) {}

  // Appends a stream header frame (after the preamble, the first time).
  void write_stream_open(const xmpp::StreamHeader& header, std::string& out);
  // Appends one element as a frame; false (nothing appended) when binary cannot carry it.
  bool write(const xmpp::Element& element, std::string& out);
  // XML text of one or more top-level elements, parsed then written; false (nothing appended)
  // if it is not well-formed elements or one cannot be carried.
  bool write_xml(std::string_view xml, std::string& out);
  void write_stream_close(std::string& out);

  // Bytes from the server: every whole frame becomes a sink event. Returns why the input is
  // unusable (then the stream is over), or nothing.
  std::optional<std::string> feed(std::string_view bytes, xmpp::StreamSink& sink);

 private:
  void bind_own_jid(std::string_view full_jid);

  xmpp::binary::Encoder encoder_{xmpp::binary::Role::Initiator};
  xmpp::binary::Decoder decoder_{xmpp::binary::Role::Responder};
  std::string resume_jid_;
  std::string in_;
  bool preamble_sent_ = false;
  bool preamble_received_ = false;
};

}  // namespace tern::client
