// SPDX-License-Identifier: MIT
// StreamHeader: the attributes of a <stream:stream> open tag (RFC 6120 §4.7), as received by the
// parser and as written by the serializer.
#pragma once

#include <string>

namespace tern::xmpp {

struct StreamHeader {
  std::string to;
  std::string from;
  std::string id;
  std::string version;     // "1.0" for RFC 6120 streams
  std::string lang;        // xml:lang
  std::string content_ns;  // the default namespace (jabber:client, jabber:server, …)
};

}  // namespace tern::xmpp
