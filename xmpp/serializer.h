// SPDX-License-Identifier: MIT
// Serializer: Element trees to bytes. Inside a stream it declares only what the stream does not
// already: elements in the stream's content namespace carry no xmlns, elements in the streams
// namespace use the "stream:" prefix bound on the header, and a child repeats no namespace its
// parent already set. Output is appended to a caller-owned buffer, so a connection can reuse one
// buffer for every stanza it writes.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/element.h"
#include "xmpp/namespaces.h"
#include "xmpp/stream_header.h"

namespace tern::xmpp {

class Serializer {
 public:
  // `content_ns` is the default namespace of the stream being written (jabber:client for c2s).
  explicit Serializer(std::string_view content_ns = ns::kClient) : content_ns_(content_ns) {}

  // <?xml version='1.0'?><stream:stream xmlns=… xmlns:stream=… …> using header.content_ns if
  // set, else this serializer's content namespace.
  void write_stream_open(std::string& out, const StreamHeader& header) const;
  static void write_stream_close(std::string& out) { out += "</stream:stream>"; }

  // One top-level element as a child of the stream.
  void write(std::string& out, const Element& element) const;
  // One element as a document of its own, every namespace it uses declared ("stream:" too):
  // what each WebSocket message carries (RFC 7395 §3.3.3).
  static void write_standalone(std::string& out, const Element& element);

 private:
  std::string_view content_ns_;
};

// A standalone document for `element`: every namespace it uses is declared (for logs, tests and
// storage, not for a stream).
std::string to_xml(const Element& element);

}  // namespace tern::xmpp
