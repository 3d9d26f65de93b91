// SPDX-License-Identifier: MIT
// XMPP over WebSocket (RFC 7395): every WebSocket message is one complete element, and the stream
// is opened and closed with <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing instead of
// <stream:stream>. The connection hands this codec one message per feed().
//
// In: the same Expat stream parser as TCP streams, inside a stream header this codec supplies
// itself (each message then parses as top-level elements of that stream, with jabber:client as
// the default namespace for a client that leaves it out); <open/> becomes the session's stream
// header event, <close/> its stream end. A restart (after SASL) resets the parser, and the next
// message is fed behind a fresh synthetic header. Out: each element as a document of its own,
// every namespace declared ("<stream:features xmlns:stream=…>"), <open/> for the stream header and
// <close/> for its end.
#include "core/c2s/stream_codec.h"
#include "xmpp/escape.h"
#include "xmpp/serializer.h"

namespace tern::core::c2s {
namespace {

namespace ns = xmpp::ns;

constexpr std::string_view kWrapper =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "version='1.0'>";

class FramedXmlCodec final : public StreamCodec, private xmpp::StreamSink {
 public:
  FramedXmlCodec(CodecSink& sink, const xmpp::ParserLimits& limits)
      : sink_(sink), parser_(*this, options(limits)) {}

  WireFormat format() const override { return WireFormat::XmlFramed; }

  std::size_t feed(std::string_view bytes) override {
    if (needs_wrapper_) {
      needs_wrapper_ = false;
      parser_.feed(kWrapper);
    }
    return parser_.feed(bytes);
  }
  void request_restart() override {
    parser_.request_restart();
    needs_wrapper_ = true;
  }
  void reset() override {
    parser_.reset();
    needs_wrapper_ = true;
  }
  void stop() override { parser_.stop(); }
  void set_limits(const xmpp::ParserLimits& limits) override { parser_.set_limits(limits); }

  void write_stream_open(std::string& out, const xmpp::StreamHeader& header) override {
    out += "<open xmlns='";
    out += ns::kFraming;
    out += '\'';
    for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"id", header.id},
                               {"from", header.from},
                               {"to", header.to},
                               {"version", header.version},
                               {"xml:lang", header.lang}}) {
      if (!value.empty()) {
        out += ' ';
        out += name;
        out += "='";
        xmpp::append_escaped_attr(out, value);
        out += '\'';
      }
    }
    out += "/>";
  }
  bool write(std::string& out, const xmpp::Element& element) override {
    xmpp::Serializer::write_standalone(out, element);
    return true;
  }
  void write_stream_close(std::string& out) override {
    out += "<close xmlns='";
    out += ns::kFraming;
    out += "'/>";
  }

 private:
  static xmpp::ParserOptions options(const xmpp::ParserLimits& limits) {
    xmpp::ParserOptions p;
    p.limits = limits;
    p.content_ns = std::string(ns::kClient);
    return p;
  }

  // xmpp::StreamSink: the parser's events, translated.
  void on_stream_open(const xmpp::StreamHeader& /*wrapper*/) override {}
  void on_stanza(xmpp::StanzaPtr stanza) override {
    const xmpp::Element& root = stanza->root();
    if (root.ns() != ns::kFraming) {
      return sink_.on_stanza(std::move(stanza));
    }
    if (root.name() == "open") {
      xmpp::StreamHeader header;
      header.to = std::string(root.attr("to"));
      header.from = std::string(root.attr("from"));
      header.version = std::string(root.attr("version"));
      header.lang = std::string(root.attr("lang", ns::kXml));
      header.content_ns = std::string(ns::kClient);
      return sink_.on_stream_open(header);
    }
    if (root.name() == "close") {
      return sink_.on_stream_close();
    }
    sink_.on_stream_error(xmpp::StreamError::unsupported_stanza_type(
        "only <open/> and <close/> are framing elements"));
  }
  void on_stream_close() override { sink_.on_stream_close(); }
  void on_stream_error(const xmpp::StreamError& error) override { sink_.on_stream_error(error); }

  CodecSink& sink_;
  xmpp::StreamParser parser_;
  bool needs_wrapper_ = true;
};

}  // namespace

StreamCodecPtr make_framed_xml_codec(CodecSink& sink, const xmpp::ParserLimits& limits) {
  return std::make_unique<FramedXmlCodec>(sink, limits);
}

}  // namespace tern::core::c2s
