// SPDX-License-Identifier: MIT
// StreamParser: turns the bytes of one XML stream (RFC 6120 §4) into events: the stream header,
// one Stanza per top-level child, and the stream end. It is Expat in push mode with namespace
// processing; it accepts any chunking (one byte at a time included), enforces ParserLimits and the
// restricted XML subset of RFC 6120 §11, and reports every violation as the stream error the RFC
// names. It does no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "xmpp/parser_limits.h"
#include "xmpp/stanza.h"
#include "xmpp/stream_error.h"
#include "xmpp/stream_header.h"

namespace tern::xmpp {

// Receives the parser's events. Callbacks run inside StreamParser::feed().
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void on_stream_open(const StreamHeader& header) = 0;
  virtual void on_stanza(StanzaPtr stanza) = 0;
  virtual void on_stream_close() = 0;
  // Called once; the parser accepts no more input until reset().
  virtual void on_stream_error(const StreamError& error) = 0;
};

struct ParserOptions {
  ParserLimits limits;
  // The default namespace the stream header must declare (RFC 6120 §4.8.2); anything else is
  // invalid-namespace. Empty accepts any.
  std::string content_ns = "jabber:client";
};

class StreamParser {
 public:
  explicit StreamParser(StreamSink& sink, ParserOptions options = {});
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parses `bytes` and returns how many were consumed: all of them, unless a sink callback called
  // request_restart(), in which case parsing stopped right after the element being handled and
  // the rest is the caller's to feed again (after SASL success) or to discard (after STARTTLS,
  // where it would be a plaintext injection). Once the stream has failed or closed, consumes
  // nothing more.
  std::size_t feed(std::string_view bytes);

  // From inside a callback: stop after the current element and start a new stream document
  // (RFC 6120 §4.3.3). Outside a callback, use reset().
  void request_restart();
  // Forgets the current stream and expects a new stream header. Not from inside a callback.
  void reset();
  // Stops parsing for good without reporting an error: the owner is closing the stream with an
  // error of its own (say, unsupported-stanza-type). Safe from inside a callback.
  void stop();
  // Applies from the next byte fed (the server tightens them before authentication).
  void set_limits(const ParserLimits& limits) { options_.limits = limits; }

  bool failed() const { return failed_; }
  bool closed() const { return closed_; }
  bool stream_open() const { return depth_ >= 1; }
  // Bytes fed since the last reset.
  std::uint64_t offset() const { return offset_; }
  const ParserOptions& options() const { return options_; }

 private:
  struct Callbacks;  // Expat trampolines, in stream_parser.cpp
  friend struct Callbacks;

  void install_handlers();
  void on_start(const char* name, const char** attrs);
  void on_end();
  void on_text(const char* text, int length);
  void on_namespace(const char* prefix, const char* uri);
  void on_xml_decl(const char* encoding);
  void begin_stream(std::string_view qname, const char** attrs);
  void flush_text();
  void fail(StreamError error);
  void fail_from_expat();
  bool check_stanza_size(std::uint64_t end_offset);
  std::uint64_t event_offset() const;
  std::uint64_t event_end() const;

  StreamSink& sink_;
  ParserOptions options_;
  struct ExpatParser;
  std::unique_ptr<ExpatParser> expat_;

  std::size_t depth_ = 0;  // open elements, the stream root included
  bool failed_ = false;
  bool stopped_ = false;  // failed_ because the owner called stop()
  bool closed_ = false;
  bool in_callback_ = false;
  bool restart_requested_ = false;
  bool at_document_start_ = true;  // nothing but whitespace fed since the last (re)start
  std::uint64_t restart_offset_ = 0;
  std::uint64_t offset_ = 0;             // bytes handed to Expat since the last reset
  std::uint64_t last_event_offset_ = 0;  // where the latest event ended
  std::uint64_t stanza_start_ = 0;       // where the current top-level element began
  std::string pending_text_;             // text run being collected (Expat splits it)
  std::string declared_default_ns_;      // xmlns='…' seen on the stream header
  bool default_ns_declared_ = false;
  StreamError error_;
  StanzaPtr stanza_;            // the top-level element being built
  Element* current_ = nullptr;  // innermost open element of stanza_
};

// Parses one standalone element, as to_xml() writes it (stored stanzas), as if it arrived in a
// jabber:client stream. nullptr if it is not exactly one well-formed element.
StanzaPtr parse_stanza(std::string_view xml, const ParserLimits& limits = {});

}  // namespace tern::xmpp
