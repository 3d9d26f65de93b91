// SPDX-License-Identifier: MIT
// The C interface (tern_binary.h) over Encoder, Decoder and the XML item helpers. No exception
// crosses it: allocation failure at creation returns NULL, and nothing else here throws for bad
// input (parse and codec errors are results).
#include <new>
#include <string>

#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/binary/tern_binary.h"
#include "xmpp/binary/xml_text.h"

struct tern_bx_session {
  explicit tern_bx_session(tern::xmpp::binary::Role self)
      : self(self),
        encoder(self),
        decoder(self == tern::xmpp::binary::Role::Initiator ? tern::xmpp::binary::Role::Responder
                                                            : tern::xmpp::binary::Role::Initiator) {
  }

  tern::xmpp::binary::Role self;
  tern::xmpp::binary::Encoder encoder;
  tern::xmpp::binary::Decoder decoder;
  std::string out_content_ns = "jabber:client";  // what this side's elements are read in
  std::string in_content_ns = "jabber:client";   // what received elements are written in
  std::string frame;
  std::string xml;
  std::string error;
  std::string condition;
};

namespace {

using namespace tern::xmpp::binary;

constexpr std::uint8_t kPreamble[TERN_BX_PREAMBLE_SIZE] = {kPreambleMagic, kFormatVersion};

int fail(tern_bx_session* s, std::string_view reason, std::string_view condition = {}) {
  s->error.assign(reason);
  s->condition.assign(condition);
  return TERN_BX_ERROR;
}

// The bind result binds the own JID on both halves of the session (section 8.3).
void bind_if_result(tern_bx_session* s, const tern::xmpp::Element& element) {
  std::string_view jid = bound_jid(element);
  if (!jid.empty()) {
    s->encoder.set_own_jid(jid);
    s->decoder.set_own_jid(jid);
  }
}

}  // namespace

extern "C" {

const uint8_t* tern_bx_preamble(void) {
  return kPreamble;
}

tern_bx_session* tern_bx_session_new(tern_bx_role self) {
  return new (std::nothrow)
      tern_bx_session(self == TERN_BX_RESPONDER ? Role::Responder : Role::Initiator);
}

void tern_bx_session_free(tern_bx_session* session) {
  delete session;
}

int tern_bx_encode(tern_bx_session* s, const char* xml, size_t xml_size, const uint8_t** frame,
                   size_t* frame_size) {
  if (s == nullptr || (xml == nullptr && xml_size != 0) || frame == nullptr ||
      frame_size == nullptr) {
    return TERN_BX_ERROR;
  }
  s->error.clear();
  s->condition.clear();
  auto item = parse_xml_item({xml, xml_size}, s->out_content_ns);
  if (!item) {
    return fail(s, item.error());
  }
  s->frame.clear();
  switch (item->kind) {
    case XmlItemKind::StreamOpen:
      s->encoder.encode_stream_open(item->header, s->frame);
      s->out_content_ns =
          item->header.content_ns.empty() ? "jabber:client" : item->header.content_ns;
      break;
    case XmlItemKind::StreamClose:
      Encoder::encode_stream_close(s->frame);
      break;
    case XmlItemKind::Element: {
      auto done = s->encoder.encode(item->stanza->root(), s->frame);
      if (!done) {
        return fail(s, describe(done.error()));
      }
      bind_if_result(s, item->stanza->root());
      break;
    }
  }
  *frame = reinterpret_cast<const uint8_t*>(s->frame.data());
  *frame_size = s->frame.size();
  return TERN_BX_OK;
}

int tern_bx_decode(tern_bx_session* s, const uint8_t* data, size_t size, size_t* consumed,
                   const char** xml, size_t* xml_size) {
  if (s == nullptr || (data == nullptr && size != 0) || consumed == nullptr || xml == nullptr ||
      xml_size == nullptr) {
    return TERN_BX_ERROR;
  }
  s->error.clear();
  s->condition.clear();
  Frame frame;
  auto used = s->decoder.decode({reinterpret_cast<const char*>(data), size}, frame);
  if (!used) {
    const DecodeError& e = used.error();
    // Appended piece by piece: GCC 12's -Wrestrict misfires on chains of string operator+ at -O3.
    std::string reason(e.reason);
    reason.append(" (frame byte ").append(std::to_string(e.offset)).append(")");
    return fail(s, reason, tern::xmpp::condition_name(e.condition()));
  }
  if (*used == 0) {
    return TERN_BX_NEED_MORE;
  }
  s->xml.clear();
  XmlItem item;
  switch (frame.kind) {
    case FrameKind::Keepalive:
      s->xml.push_back(' ');  // not operator=: GCC 12 -O3 misreports -Wrestrict on it
      break;
    case FrameKind::StreamClose:
      item.kind = XmlItemKind::StreamClose;
      write_xml_item(item, s->xml);
      break;
    case FrameKind::StreamOpen:
      item.kind = XmlItemKind::StreamOpen;
      item.header = frame.header;
      s->in_content_ns =
          frame.header.content_ns.empty() ? "jabber:client" : frame.header.content_ns;
      write_xml_item(item, s->xml, s->in_content_ns);
      break;
    case FrameKind::Stanza:
      item.kind = XmlItemKind::Element;
      item.stanza = std::move(frame.stanza);
      write_xml_item(item, s->xml, s->in_content_ns);
      bind_if_result(s, item.stanza->root());
      break;
  }
  *consumed = *used;
  *xml = s->xml.data();
  *xml_size = s->xml.size();
  return TERN_BX_OK;
}

int tern_bx_set_own_jid(tern_bx_session* s, const char* jid, size_t jid_size) {
  if (s == nullptr || jid == nullptr || jid_size == 0) {
    return TERN_BX_ERROR;
  }
  s->encoder.set_own_jid({jid, jid_size});
  s->decoder.set_own_jid({jid, jid_size});
  return TERN_BX_OK;
}

const char* tern_bx_error(const tern_bx_session* s) {
  return s != nullptr ? s->error.c_str() : "";
}

const char* tern_bx_condition(const tern_bx_session* s) {
  return s != nullptr ? s->condition.c_str() : "";
}

}  // extern "C"
