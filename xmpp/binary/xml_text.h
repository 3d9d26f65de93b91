// SPDX-License-Identifier: MIT
// One item of XML stream text, as a line of the corpus, a test vector or a call of the C API
// holds it: a stream header open tag (optionally after an XML declaration), one top-level element,
// or </stream:stream>. Parsed with the stream parser, so the trees are exactly the parser's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/result.h"
#include "xmpp/stanza.h"
#include "xmpp/stream_header.h"

namespace tern::xmpp::binary {

enum class XmlItemKind : std::uint8_t { Element, StreamOpen, StreamClose };

struct XmlItem {
  XmlItemKind kind = XmlItemKind::Element;
  StanzaPtr stanza;     // Element
  StreamHeader header;  // StreamOpen
};

// `content_ns` is the default namespace the element is read in (the stream's).
Result<XmlItem, std::string> parse_xml_item(std::string_view xml,
                                            std::string_view content_ns = "jabber:client");

// The XML text of an item: the serializer's output for an element (inside a stream whose
// default namespace is `content_ns`), its stream header or the close tag.
void write_xml_item(const XmlItem& item, std::string& out,
                    std::string_view content_ns = "jabber:client");

// The full JID of a resource binding result (RFC 6120 §7.6.1: an iq of type result carrying
// <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>…</jid></bind>), else empty.
std::string_view bound_jid(const Element& element);

}  // namespace tern::xmpp::binary
