// SPDX-License-Identifier: MIT
// RecordingSink: a StreamSink that keeps every event, for parser tests; and helpers to feed a
// parser in different chunkings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/stream_parser.h"

namespace tern::xmpp::testing {

class RecordingSink : public StreamSink {
 public:
  void on_stream_open(const StreamHeader& header) override { headers.push_back(header); }
  void on_stanza(StanzaPtr stanza) override { stanzas.push_back(std::move(stanza)); }
  void on_stream_close() override { ++closes; }
  void on_stream_error(const StreamError& e) override {
    ++error_count;
    error = e;
  }

  std::vector<StreamHeader> headers;
  std::vector<StanzaPtr> stanzas;
  int closes = 0;
  int error_count = 0;
  std::optional<StreamError> error;
};

// A client stream header with the usual declarations.
inline constexpr std::string_view kClientHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0' "
    "xml:lang='en'>";

// Feeds `data` in pieces of `chunk` bytes (0 = all at once), following restarts.
void feed_in_chunks(StreamParser& parser, std::string_view data, std::size_t chunk);

// Parses one top-level element (after kClientHeader) and returns it, or nullptr on any error.
StanzaPtr parse_one(std::string_view xml);

}  // namespace tern::xmpp::testing
