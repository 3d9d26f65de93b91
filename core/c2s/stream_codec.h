// SPDX-License-Identifier: MIT
// StreamCodec: how a client session reads and writes its stream, as XML text (xml_codec.h) or as
// Tern binary XMPP frames (binary_codec.h, docs/binary-xmpp.md). Both turn input into the same
// events (stream header, one Stanza per top-level element, stream end, stream error) and write the
// same trees, so the session, the router and the modules never know which one a client speaks.
// The session holds one codec and calls it once per read and once per element written; nothing
// here runs per byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "xmpp/element.h"
#include "xmpp/parser_limits.h"
#include "xmpp/stream_parser.h"

namespace tern::core::c2s {

// What the connection agreed with the client before the first stream byte: TLS ALPN, or the
// WebSocket handshake (XmlFramed: one element per message, RFC 7395).
enum class WireFormat : std::uint8_t { Xml, Binary, XmlFramed };

// The session's side of a codec: the stream parser's events, plus one the binary form adds.
class CodecSink : public xmpp::StreamSink {
 public:
  // The input is not in this codec's format at all (binary: the first byte is not the
  // preamble's): the connection is closed without an answer (docs/binary-xmpp.md §2.1).
  virtual void on_foreign_input() = 0;
};

class StreamCodec {
 public:
  virtual ~StreamCodec() = default;
  StreamCodec(const StreamCodec&) = delete;
  StreamCodec& operator=(const StreamCodec&) = delete;

  virtual WireFormat format() const = 0;

  // Input. Same contract as xmpp::StreamParser::feed(): returns how many bytes were consumed,
  // all of them unless a sink callback asked for a restart.
  virtual std::size_t feed(std::string_view bytes) = 0;
  // From inside a sink callback: the stream restarts after the current element (RFC 6120 §4.3.3).
  virtual void request_restart() = 0;
  // Outside a callback: forget the input stream and expect a new stream header.
  virtual void reset() = 0;
  // No more input is taken (the session is closing).
  virtual void stop() = 0;
  // What the input may hold from now on (tighter before authentication).
  virtual void set_limits(const xmpp::ParserLimits& limits) = 0;

  // Output, appended to `out`. write() returns false when the element cannot be written in this
  // format (binary: a non-ASCII name); then nothing was appended.
  virtual void write_stream_open(std::string& out, const xmpp::StreamHeader& header) = 0;
  virtual bool write(std::string& out, const xmpp::Element& element) = 0;
  virtual void write_stream_close(std::string& out) = 0;

  // Resource binding completed (or a resumption did), and its result was written: binary binds
  // the full JID into both directions' state (docs/binary-xmpp.md §8.3). XML has nothing to do.
  virtual void bind_own_jid(std::string_view /*full_jid*/) {}

 protected:
  StreamCodec() = default;
};

using StreamCodecPtr = std::unique_ptr<StreamCodec>;

// `content_ns` is the stream's default namespace (jabber:client).
StreamCodecPtr make_xml_codec(CodecSink& sink, const xmpp::ParserLimits& limits,
                              std::string_view content_ns);
StreamCodecPtr make_binary_codec(CodecSink& sink, const xmpp::ParserLimits& limits);
// XMPP over WebSocket (RFC 7395): feed() takes one whole message at a time.
StreamCodecPtr make_framed_xml_codec(CodecSink& sink, const xmpp::ParserLimits& limits);

}  // namespace tern::core::c2s
