// SPDX-License-Identifier: MIT
// The XML form of a client stream (RFC 6120 §4): the Expat stream parser in, the serializer out.
// A thin adapter: the parser calls the session directly for every element, so the XML path costs
// one virtual call per read and one per element written, nothing per byte.
#include "core/c2s/stream_codec.h"
#include "xmpp/serializer.h"

namespace tern::core::c2s {
namespace {

class XmlCodec final : public StreamCodec {
 public:
  XmlCodec(CodecSink& sink, const xmpp::ParserLimits& limits, std::string_view content_ns)
      : parser_(sink, options(limits, content_ns)), serializer_(content_ns) {}

  WireFormat format() const override { return WireFormat::Xml; }
  std::size_t feed(std::string_view bytes) override { return parser_.feed(bytes); }
  void request_restart() override { parser_.request_restart(); }
  void reset() override { parser_.reset(); }
  void stop() override { parser_.stop(); }
  void set_limits(const xmpp::ParserLimits& limits) override { parser_.set_limits(limits); }

  void write_stream_open(std::string& out, const xmpp::StreamHeader& header) override {
    serializer_.write_stream_open(out, header);
  }
  bool write(std::string& out, const xmpp::Element& element) override {
    serializer_.write(out, element);
    return true;
  }
  void write_stream_close(std::string& out) override { xmpp::Serializer::write_stream_close(out); }

 private:
  static xmpp::ParserOptions options(const xmpp::ParserLimits& limits,
                                     std::string_view content_ns) {
    xmpp::ParserOptions p;
    p.limits = limits;
    p.content_ns = std::string(content_ns);
    return p;
  }

  xmpp::StreamParser parser_;
  xmpp::Serializer serializer_;
};

}  // namespace

StreamCodecPtr make_xml_codec(CodecSink& sink, const xmpp::ParserLimits& limits,
                              std::string_view content_ns) {
  return std::make_unique<XmlCodec>(sink, limits, content_ns);
}

}  // namespace tern::core::c2s
