// SPDX-License-Identifier: MIT
// Element → XML text with minimal namespace declarations.
#include "xmpp/serializer.h"

#include "xmpp/escape.h"

namespace tern::xmpp {
namespace {

// What the element being written inherits from its ancestors.
struct Scope {
  std::string_view default_ns;  // the in-scope default namespace
  bool stream_prefix_bound;     // whether "stream:" is declared
};

void write_attr(std::string& out, std::string_view prefix, std::string_view name,
                std::string_view value) {
  out += ' ';
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += name;
  out += "='";
  append_escaped_attr(out, value);
  out += '\'';
}

// The prefix an element is written with: "stream" for the streams namespace (bound on the stream
// header), "xml" for the XML namespace (bound in every document, and never bindable as default).
std::string_view element_prefix(const Element& e) {
  if (e.ns() == ns::kStreams) {
    return "stream";
  }
  if (e.ns() == ns::kXml) {
    return "xml";
  }
  return {};
}

void write_element(std::string& out, const Element& e, Scope scope) {
  std::string_view prefix = element_prefix(e);
  out += '<';
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += e.name();
  if (!prefix.empty()) {
    if (prefix == "stream" && !scope.stream_prefix_bound) {
      write_attr(out, "xmlns", "stream", ns::kStreams);
      scope.stream_prefix_bound = true;
    }
  } else if (e.ns() != scope.default_ns) {
    write_attr(out, {}, "xmlns", e.ns());
    scope.default_ns = e.ns();
  }
  int extra_prefixes = 0;
  for (const Attribute& a : e.attrs()) {
    if (a.ns.empty()) {
      write_attr(out, {}, a.name, a.value);
    } else if (a.ns == ns::kXml) {
      write_attr(out, "xml", a.name, a.value);  // the xml prefix is bound in every document
    } else {
      // A rare namespaced attribute: bind a fresh prefix on this element.
      std::string prefix = "ns" + std::to_string(++extra_prefixes);
      write_attr(out, "xmlns", prefix, a.ns);
      write_attr(out, prefix, a.name, a.value);
    }
  }
  if (e.first_node() == nullptr) {
    out += "/>";
    return;
  }
  out += '>';
  for (const Node* n = e.first_node(); n != nullptr; n = n->next()) {
    if (const Element* child = n->as_element()) {
      write_element(out, *child, scope);
    } else {
      append_escaped_text(out, n->text_value());
    }
  }
  out += "</";
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += e.name();
  out += '>';
}

}  // namespace

void Serializer::write_stream_open(std::string& out, const StreamHeader& header) const {
  out += "<?xml version='1.0'?><stream:stream";
  write_attr(out, {}, "xmlns", header.content_ns.empty() ? content_ns_ : header.content_ns);
  write_attr(out, "xmlns", "stream", ns::kStreams);
  if (!header.id.empty()) {
    write_attr(out, {}, "id", header.id);
  }
  if (!header.from.empty()) {
    write_attr(out, {}, "from", header.from);
  }
  if (!header.to.empty()) {
    write_attr(out, {}, "to", header.to);
  }
  if (!header.version.empty()) {
    write_attr(out, {}, "version", header.version);
  }
  if (!header.lang.empty()) {
    write_attr(out, "xml", "lang", header.lang);
  }
  out += '>';
}

void Serializer::write(std::string& out, const Element& element) const {
  write_element(out, element, Scope{content_ns_, true});
}

void Serializer::write_standalone(std::string& out, const Element& element) {
  write_element(out, element, Scope{{}, false});
}

std::string to_xml(const Element& element) {
  std::string out;
  Serializer::write_standalone(out, element);
  return out;
}

}  // namespace tern::xmpp
