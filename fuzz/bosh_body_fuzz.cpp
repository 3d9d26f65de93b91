// SPDX-License-Identifier: MIT
// Fuzz target for BOSH request bodies (core/http/bosh_body.h): the input is a request's body as a
// client POSTs it to /http-bind. Oracle: no crash; a body that parses has a rid, and every
// payload it yields is one whole element that the c2s session's framed codec can read (it parses
// again, alone, behind the same jabber:client stream header); the framing helpers take any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/bosh_body.h"
#include "xmpp/stream_parser.h"

namespace {

class CountingSink : public tern::xmpp::StreamSink {
 public:
  void on_stream_open(const tern::xmpp::StreamHeader& /*header*/) override {}
  void on_stanza(tern::xmpp::StanzaPtr /*stanza*/) override { ++elements; }
  void on_stream_close() override { failed = true; }
  void on_stream_error(const tern::xmpp::StreamError& /*error*/) override { failed = true; }
  int elements = 0;
  bool failed = false;
};

constexpr std::string_view kWrapper =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

}  // namespace

// libFuzzer's entry point, named by it.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  tern::xmpp::ParserLimits limits;
  limits.max_stanza_bytes = 1 << 16;
  auto request = tern::core::http::parse_bosh_request(input, limits);
  if (request) {
    for (const std::string& payload : request->payloads) {
      CountingSink sink;
      tern::xmpp::StreamParser parser(sink);
      parser.feed(kWrapper);
      parser.feed(payload);
      if (sink.failed || sink.elements != 1) {
        __builtin_trap();
      }
    }
  }
  (void)tern::core::http::framed_element_name(input);
  (void)tern::core::http::framed_open(input);
  return 0;
}
