// SPDX-License-Identifier: MIT
#include "core/http/host_meta.h"

#include "xmpp/escape.h"

namespace tern::core::http {
namespace {

constexpr std::string_view kWebSocketRel = "urn:xmpp:alt-connections:websocket";
constexpr std::string_view kBoshRel = "urn:xmpp:alt-connections:xbosh";

// A JSON string's body: the URLs are ours, but escape what JSON requires anyway.
std::string json_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string host_meta_xrd(const AltConnections& links) {
  std::string out =
      "<?xml version='1.0' encoding='utf-8'?>\n"
      "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n";
  for (auto [rel, href] : {std::pair{kWebSocketRel, std::string_view(links.websocket)},
                           std::pair{kBoshRel, std::string_view(links.bosh)}}) {
    if (href.empty()) {
      continue;
    }
    out += "  <Link rel='";
    out += rel;
    out += "' href='";
    xmpp::append_escaped_attr(out, href);
    out += "'/>\n";
  }
  out += "</XRD>\n";
  return out;
}

std::string host_meta_json(const AltConnections& links) {
  std::string out = "{\"links\":[";
  bool first = true;
  for (auto [rel, href] : {std::pair{kWebSocketRel, std::string_view(links.websocket)},
                           std::pair{kBoshRel, std::string_view(links.bosh)}}) {
    if (href.empty()) {
      continue;
    }
    out += first ? "" : ",";
    first = false;
    out += "{\"rel\":\"";
    out += rel;
    out += "\",\"href\":\"";
    out += json_escaped(href);
    out += "\"}";
  }
  out += "]}\n";
  return out;
}

std::string websocket_url(std::string_view http_url) {
  if (http_url.starts_with("https://")) {
    return "wss://" + std::string(http_url.substr(8));
  }
  if (http_url.starts_with("http://")) {
    return "ws://" + std::string(http_url.substr(7));
  }
  return std::string(http_url);
}

}  // namespace tern::core::http
