// SPDX-License-Identifier: MIT
#include "core/http/websocket_upgrade.h"

#include <algorithm>

#include "core/net/websocket.h"
#include "xmpp/base64.h"

namespace tern::core::http {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

// Whether a comma-separated header value lists `token` (case-insensitive, RFC 9110 §5.6.1).
bool lists_token(std::string_view value, std::string_view token) {
  const std::string list = lower(value);
  std::size_t at = 0;
  while (at <= list.size()) {
    std::size_t comma = list.find(',', at);
    if (comma == std::string::npos) {
      comma = list.size();
    }
    std::string_view item(list.data() + at, comma - at);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (item == token) {
      return true;
    }
    at = comma + 1;
  }
  return false;
}

}  // namespace

bool asks_for_websocket(const HttpRequest& request) {
  return lists_token(request.header("upgrade"), "websocket");
}

UpgradeCheck check_websocket_upgrade(const HttpRequest& request,
                                     const std::vector<std::string>& allowed_origins) {
  UpgradeCheck check;
  if (request.method != "GET" || !lists_token(request.header("connection"), "upgrade")) {
    return {400, "a WebSocket handshake is a GET with Connection: Upgrade", {}};
  }
  if (request.header("sec-websocket-version") != "13") {
    return {426, "WebSocket version 13 is spoken here", {}};
  }
  const std::string_view key = request.header("sec-websocket-key");
  const auto decoded = xmpp::base64_decode(key);
  if (!decoded || decoded->size() != 16) {
    return {400, "Sec-WebSocket-Key must be 16 bytes in base64", {}};
  }
  // RFC 7395 §3.1: the subprotocol is "xmpp"; a client that does not offer it is not speaking
  // XMPP over WebSocket.
  if (!lists_token(request.header("sec-websocket-protocol"), "xmpp")) {
    return {400, "the WebSocket subprotocol must be xmpp (RFC 7395)", {}};
  }
  // Browsers say where the page came from; other clients send no Origin.
  const std::string_view origin = request.header("origin");
  if (!origin.empty() &&
      std::find(allowed_origins.begin(), allowed_origins.end(), "*") == allowed_origins.end() &&
      std::find(allowed_origins.begin(), allowed_origins.end(), origin) == allowed_origins.end()) {
    return {403, "this origin may not connect ([http] cors_origins)", {}};
  }
  check.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      net::websocket_accept(key) + "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n";
  return check;
}

}  // namespace tern::core::http
