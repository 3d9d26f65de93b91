// SPDX-License-Identifier: MIT
#include "core/http/bosh_body.h"

#include <charconv>

#include "xmpp/escape.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace tern::core::http {
namespace {

namespace ns = xmpp::ns;

// The element is parsed as the child of a stream this wrapper opens: the same Expat parser, limits
// and restricted XML as every c2s stream, and no second XML parser to keep safe.
constexpr std::string_view kWrapper =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

class OneElement final : public xmpp::StreamSink {
 public:
  void on_stream_open(const xmpp::StreamHeader& /*header*/) override {}
  void on_stanza(xmpp::StanzaPtr stanza) override {
    if (element) {
      error = "more than one element";
      return;
    }
    element = std::move(stanza);
  }
  void on_stream_close() override { error = "not one element"; }
  void on_stream_error(const xmpp::StreamError& stream_error) override {
    error = std::string(xmpp::condition_name(stream_error.condition));
    if (!stream_error.text.empty()) {
      error += ": " + stream_error.text;
    }
  }

  xmpp::StanzaPtr element;
  std::string error;
};

// One complete element (after an optional XML declaration), parsed.
Result<xmpp::StanzaPtr, std::string> parse_one(std::string_view document,
                                               const xmpp::ParserLimits& limits) {
  while (!document.empty() && (document.front() == ' ' || document.front() == '\t' ||
                               document.front() == '\r' || document.front() == '\n')) {
    document.remove_prefix(1);
  }
  if (document.starts_with("<?xml")) {
    const std::size_t end = document.find("?>");
    if (end == std::string_view::npos) {
      return Err(std::string("an unfinished XML declaration"));
    }
    document.remove_prefix(end + 2);
  }
  OneElement sink;
  xmpp::ParserOptions options;
  options.limits = limits;
  options.content_ns.clear();
  xmpp::StreamParser parser(sink, options);
  parser.feed(kWrapper);
  parser.feed(document);
  if (!sink.error.empty()) {
    return Err(std::move(sink.error));
  }
  if (!sink.element) {
    return Err(std::string("no complete element"));
  }
  // Nothing but white space may follow the element: the parser has it all by now.
  return std::move(sink.element);
}

bool parse_number(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 19) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

void append_attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "='";
  xmpp::append_escaped_attr(out, value);
  out += '\'';
}

void open_body(std::string& out) {
  out += "<body xmlns='";
  out += kBoshNs;
  out += "' xmlns:xmpp='";
  out += kXboshNs;
  out += "' xmlns:stream='";
  out += ns::kStreams;
  out += '\'';
}

}  // namespace

Result<BoshRequest, std::string> parse_bosh_request(std::string_view document,
                                                    const xmpp::ParserLimits& limits) {
  auto parsed = parse_one(document, limits);
  if (!parsed) {
    return Err(std::string(parsed.error()));
  }
  const xmpp::Element& body = (*parsed)->root();
  if (body.name() != "body" || body.ns() != kBoshNs) {
    return Err(std::string("the root is not <body xmlns='") + std::string(kBoshNs) + "'/>");
  }
  BoshRequest request;
  if (!parse_number(body.attr("rid"), request.rid)) {
    return Err(std::string("no numeric rid"));
  }
  request.sid = std::string(body.attr("sid"));
  request.to = std::string(body.attr("to"));
  request.lang = std::string(body.attr("lang", ns::kXml));
  for (auto [name, field] : {std::pair{"wait", &request.wait}, std::pair{"hold", &request.hold}}) {
    if (body.has_attr(name)) {
      std::uint64_t value = 0;
      if (!parse_number(body.attr(name), value)) {
        return Err(std::string("a non-numeric ") + name);
      }
      *field = value;
    }
  }
  request.terminate = body.attr("type") == "terminate";
  const std::string_view restart = body.attr("restart", kXboshNs);
  request.restart = restart == "true" || restart == "1";
  const xmpp::Serializer serializer(kBoshNs);
  for (const xmpp::Element& child : body.children()) {
    std::string payload;
    serializer.write(payload, child);
    request.payloads.push_back(std::move(payload));
  }
  return request;
}

std::string bosh_created_body(const BoshCreated& created, std::string_view payload) {
  std::string out;
  open_body(out);
  append_attr(out, "sid", created.sid);
  append_attr(out, "wait", std::to_string(created.wait));
  append_attr(out, "inactivity", std::to_string(created.inactivity));
  append_attr(out, "polling", "2");
  append_attr(out, "requests", std::to_string(created.hold + 1));
  append_attr(out, "hold", std::to_string(created.hold));
  append_attr(out, "ver", "1.11");
  append_attr(out, "from", created.from);
  append_attr(out, "authid", created.authid);
  append_attr(out, "secure", created.secure ? "true" : "false");
  append_attr(out, "xmpp:version", "1.0");
  append_attr(out, "xmpp:restartlogic", "true");
  out += '>';
  out += payload;
  out += "</body>";
  return out;
}

std::string bosh_body(std::string_view payload) {
  std::string out;
  open_body(out);
  if (payload.empty()) {
    out += "/>";
    return out;
  }
  out += '>';
  out += payload;
  out += "</body>";
  return out;
}

std::string bosh_terminate_body(std::string_view condition, std::string_view payload) {
  std::string out;
  open_body(out);
  append_attr(out, "type", "terminate");
  if (!condition.empty()) {
    append_attr(out, "condition", condition);
  }
  out += '>';
  out += payload;
  out += "</body>";
  return out;
}

std::string_view framed_element_name(std::string_view message) {
  if (!message.starts_with('<')) {
    return {};
  }
  const std::size_t end = message.find_first_of(" \t\r\n/>", 1);
  return message.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
}

FramedOpen framed_open(std::string_view message) {
  auto parsed = parse_one(message, xmpp::ParserLimits{});
  if (!parsed) {
    return {};
  }
  const xmpp::Element& open = (*parsed)->root();
  return FramedOpen{std::string(open.attr("id")), std::string(open.attr("from"))};
}

}  // namespace tern::core::http
