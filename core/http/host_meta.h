// SPDX-License-Identifier: MIT
// XEP-0156: how a web client finds the XMPP endpoints of a domain over HTTP, the host-meta
// documents at /.well-known/host-meta (XRD, RFC 6415) and /.well-known/host-meta.json.
#pragma once

#include <string>
#include <string_view>

namespace tern::core::http {

struct AltConnections {
  std::string websocket;  // "wss://example.org:5281/xmpp-websocket" (empty: none)
  std::string bosh;       // "https://example.org:5281/http-bind" (empty: none)
};

std::string host_meta_xrd(const AltConnections& links);
std::string host_meta_json(const AltConnections& links);

// "https://h:1/p" → "wss://h:1/p", "http://…" → "ws://…".
std::string websocket_url(std::string_view http_url);

}  // namespace tern::core::http
