// SPDX-License-Identifier: MIT
// The opening handshake of XMPP over WebSocket (RFC 6455 §4.2, RFC 7395 §3.1) on the HTTP
// service: which requests ask for it, what makes one acceptable, and the 101 response. The
// connection then hands its socket to a c2s connection in WebSocket mode (net::Connection::
// adopt_websocket), where the session is the same as over TCP.
#pragma once

#include <string>
#include <vector>

#include "tern/http.h"

namespace tern::core::http {

// Whether the request asks to switch to WebSocket (Upgrade: websocket).
bool asks_for_websocket(const HttpRequest& request);

struct UpgradeCheck {
  int status = 0;        // 0: acceptable; else the refusal's status
  std::string reason;    // for the client and the log
  std::string response;  // the 101 response when acceptable
};

// Checks a GET asking for WebSocket at the XMPP endpoint: version 13, a 16-byte key, the
// subprotocol "xmpp" among those offered, and (from a browser) an allowed Origin.
UpgradeCheck check_websocket_upgrade(const HttpRequest& request,
                                     const std::vector<std::string>& allowed_origins);

}  // namespace tern::core::http
