// SPDX-License-Identifier: MIT
#include "client/binary_wire.h"

#include <vector>

#include "xmpp/binary/xml_text.h"
#include "xmpp/namespaces.h"

namespace tern::client {
namespace {

// §2.1: the first two bytes each way, the format and its version.
constexpr std::string_view kPreamble("\xC1\x01", 2);

}  // namespace

void BinaryWire::write_stream_open(const xmpp::StreamHeader& header, std::string& out) {
  if (!preamble_sent_) {
    preamble_sent_ = true;
    out += kPreamble;
  }
  encoder_.encode_stream_open(header, out);
}

bool BinaryWire::write(const xmpp::Element& element, std::string& out) {
  return encoder_.encode(element, out).ok();
}

bool BinaryWire::write_xml(std::string_view xml, std::string& out) {
  // Several top-level elements may come in one text (tern-bench batches them): read them as the
  // content of a jabber:client stream, then encode each; all or nothing.
  struct Elements final : xmpp::StreamSink {
    void on_stream_open(const xmpp::StreamHeader& /*header*/) override {}
    void on_stanza(xmpp::StanzaPtr stanza) override { items.push_back(std::move(stanza)); }
    void on_stream_close() override { failed = true; }
    void on_stream_error(const xmpp::StreamError& /*error*/) override { failed = true; }
    std::vector<xmpp::StanzaPtr> items;
    bool failed = false;
  } elements;
  xmpp::StreamParser parser(elements);
  parser.feed(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  parser.feed(xml);
  if (elements.failed || elements.items.empty()) {
    return false;
  }
  std::string frames;
  for (const xmpp::StanzaPtr& item : elements.items) {
    if (!write(item->root(), frames)) {
      return false;
    }
  }
  out += frames;
  return true;
}

void BinaryWire::write_stream_close(std::string& out) {
  xmpp::binary::Encoder::encode_stream_close(out);
}

std::optional<std::string> BinaryWire::feed(std::string_view bytes, xmpp::StreamSink& sink) {
  in_.append(bytes);
  std::string_view input = in_;
  std::size_t used = 0;
  if (!preamble_received_) {
    if (input.size() < kPreamble.size()) {
      return std::nullopt;
    }
    if (input.substr(0, kPreamble.size()) != kPreamble) {
      return "the server's binary preamble is wrong";
    }
    preamble_received_ = true;
    used = kPreamble.size();
  }
  std::optional<std::string> problem;
  while (used < input.size()) {
    xmpp::binary::Frame frame;
    auto decoded = decoder_.decode(input.substr(used), frame);
    if (!decoded) {
      problem = "the server's binary frame is invalid: " + std::string(decoded.error().reason);
      break;
    }
    if (*decoded == 0) {
      break;  // not a whole frame yet
    }
    used += *decoded;
    switch (frame.kind) {
      case xmpp::binary::FrameKind::StreamOpen:
        sink.on_stream_open(frame.header);
        break;
      case xmpp::binary::FrameKind::StreamClose:
        sink.on_stream_close();
        break;
      case xmpp::binary::FrameKind::Keepalive:
        break;
      case xmpp::binary::FrameKind::Stanza: {
        // §8.3: the own JID is bound right after the bind result or <resumed/> is received.
        const xmpp::Element& root = frame.stanza->root();
        if (std::string_view jid = xmpp::binary::bound_jid(root); !jid.empty()) {
          bind_own_jid(jid);
        } else if (root.is("resumed", xmpp::ns::kStreamManagement) && !resume_jid_.empty()) {
          bind_own_jid(resume_jid_);
        }
        sink.on_stanza(std::move(frame.stanza));
        break;
      }
    }
  }
  in_.erase(0, used);
  return problem;
}

void BinaryWire::bind_own_jid(std::string_view full_jid) {
  encoder_.set_own_jid(full_jid);
  decoder_.set_own_jid(full_jid);
}

}  // namespace tern::client
