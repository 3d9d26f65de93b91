// SPDX-License-Identifier: MIT
#include "conformance/runner/fragment.h"

#include "xmpp/stream_parser.h"

namespace tern::conformance {

namespace {

class Collector final : public xmpp::StreamSink {
 public:
  void on_stream_open(const xmpp::StreamHeader& /*header*/) override {}
  void on_stanza(xmpp::StanzaPtr stanza) override { stanzas.push_back(std::move(stanza)); }
  void on_stream_close() override {}
  void on_stream_error(const xmpp::StreamError& error) override {
    failed = true;
    why = std::string(xmpp::condition_name(error.condition));
    if (!error.text.empty()) {
      why += ": " + error.text;
    }
  }

  std::vector<xmpp::StanzaPtr> stanzas;
  bool failed = false;
  std::string why;
};

}  // namespace

Result<std::vector<xmpp::StanzaPtr>, std::string> parse_fragment(std::string_view xml) {
  Collector sink;
  xmpp::StreamParser parser(sink);
  std::string input =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:scansion='";
  input += kScansionNs;
  input += "'>";
  input += xml;
  parser.feed(input);
  // The block must end between elements: an element still open is a mistake too.
  parser.feed("</stream:stream>");
  if (sink.failed) {
    return Err("not well-formed XML (" + sink.why + ")");
  }
  if (sink.stanzas.empty()) {
    return Err(std::string("no XML element"));
  }
  return std::move(sink.stanzas);
}

}  // namespace tern::conformance
