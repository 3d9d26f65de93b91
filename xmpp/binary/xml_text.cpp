// SPDX-License-Identifier: MIT
// XML items through the stream parser and serializer.
#include "xmpp/binary/xml_text.h"

#include <optional>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::xmpp::binary {
namespace {

class ItemSink : public StreamSink {
 public:
  void on_stream_open(const StreamHeader& h) override { header = h; }
  void on_stanza(StanzaPtr s) override {
    ++count;
    stanza = std::move(s);
  }
  void on_stream_close() override {}
  void on_stream_error(const StreamError& e) override { error = e; }

  std::optional<StreamHeader> header;
  StanzaPtr stanza;
  int count = 0;
  std::optional<StreamError> error;
};

}  // namespace

Result<XmlItem, std::string> parse_xml_item(std::string_view xml, std::string_view content_ns) {
  XmlItem item;
  std::size_t start = xml.find_first_not_of(" \t\r\n");
  std::string_view trimmed =
      start == std::string_view::npos ? std::string_view{} : xml.substr(start);
  if (trimmed.starts_with("</stream:stream")) {
    item.kind = XmlItemKind::StreamClose;
    return item;
  }
  ItemSink sink;
  ParserOptions options;
  options.content_ns.clear();  // a header may declare any default namespace
  StreamParser parser(sink, options);
  if (trimmed.starts_with("<?xml") || trimmed.starts_with("<stream:stream")) {
    parser.feed(trimmed);
    if (sink.error || !sink.header) {
      return Err(std::string(sink.error ? sink.error->text : "not a stream header"));
    }
    item.kind = XmlItemKind::StreamOpen;
    item.header = *sink.header;
    return item;
  }
  std::string input = "<stream:stream xmlns='";
  input += content_ns;
  input += "' xmlns:stream='";
  input += ns::kStreams;
  input += "'>";
  input += trimmed;
  parser.feed(input);
  if (sink.error || sink.count != 1) {
    return Err(std::string(sink.error ? sink.error->text : "not exactly one element"));
  }
  item.stanza = std::move(sink.stanza);
  return item;
}

void write_xml_item(const XmlItem& item, std::string& out, std::string_view content_ns) {
  Serializer serializer(content_ns);
  switch (item.kind) {
    case XmlItemKind::StreamClose:
      Serializer::write_stream_close(out);
      break;
    case XmlItemKind::StreamOpen:
      serializer.write_stream_open(out, item.header);
      break;
    case XmlItemKind::Element:
      serializer.write(out, item.stanza->root());
      break;
  }
}

std::string_view bound_jid(const Element& element) {
  if (!element.is("iq", ns::kClient) || element.attr("type") != "result") {
    return {};
  }
  const Element* bind = element.child("bind", ns::kBind);
  return bind != nullptr ? bind->child_text("jid", ns::kBind) : std::string_view{};
}

}  // namespace tern::xmpp::binary
