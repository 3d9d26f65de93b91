// SPDX-License-Identifier: MIT
// Fuzz target for StreamParser. The first input byte chooses how the rest is chunked (so the
// fuzzer explores split tokens and UTF-8 sequences); the rest is a client stream. Oracle: the
// parser never crashes, reports at most one error, and every stanza it emits serializes into XML
// that parses back into the same tree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace {

using tern::xmpp::StanzaPtr;
using tern::xmpp::StreamError;
using tern::xmpp::StreamHeader;

class CollectingSink : public tern::xmpp::StreamSink {
 public:
  void on_stream_open(const StreamHeader& /*header*/) override {}
  void on_stanza(StanzaPtr stanza) override { last = std::move(stanza); }
  void on_stream_close() override {}
  void on_stream_error(const StreamError& /*error*/) override { ++errors; }
  StanzaPtr last;
  int errors = 0;
};

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

void check_round_trip(const tern::xmpp::Stanza& stanza) {
  std::string xml(kHeader);
  tern::xmpp::Serializer().write(xml, stanza.root());
  CollectingSink sink;
  tern::xmpp::StreamParser parser(sink);
  parser.feed(xml);
  if (sink.errors != 0 || !sink.last ||
      !tern::xmpp::equal_trees(stanza.root(), sink.last->root())) {
    __builtin_trap();
  }
}

class CheckingSink : public CollectingSink {
 public:
  void on_stanza(StanzaPtr stanza) override { check_round_trip(*stanza); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::size_t chunk = data[0] == 0 ? size : data[0];  // 0: all at once; else 1..255 bytes
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckingSink sink;
  tern::xmpp::StreamParser parser(sink);
  while (!input.empty() && !parser.failed() && !parser.closed()) {
    std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(parser.feed(piece));
  }
  if (sink.errors > 1) {
    __builtin_trap();
  }
  return 0;
}
