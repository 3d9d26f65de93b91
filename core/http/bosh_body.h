// SPDX-License-Identifier: MIT
// The <body/> wrapper of BOSH (XEP-0124) as XMPP over BOSH (XEP-0206) uses it, without I/O
// (tested and fuzzed on bytes): a request's attributes and its children, each serialized for the
// c2s session's framed XML codec, and the bodies the server answers with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/parser_limits.h"
#include "xmpp/result.h"

namespace tern::core::http {

inline constexpr std::string_view kBoshNs = "http://jabber.org/protocol/httpbind";
inline constexpr std::string_view kXboshNs = "urn:xmpp:xbosh";

// One request's <body/>.
struct BoshRequest {
  std::string sid;  // empty: a session creation request
  std::uint64_t rid = 0;
  // Session creation.
  std::string to;
  std::string lang;
  std::optional<std::uint64_t> wait;
  std::optional<std::uint64_t> hold;
  // type='terminate' (the client ends the session) and xmpp:restart='true' (XEP-0206 §5: a
  // new stream after SASL).
  bool terminate = false;
  bool restart = false;
  // The children, each an element of its own for the framed XML codec: those in the body's
  // namespace (stanzas the client did not qualify) are written without xmlns, so they read as
  // jabber:client there, as Prosody and ejabberd take them.
  std::vector<std::string> payloads;
};

// Parses a request body: one <body/> in the httpbind namespace with a numeric rid; the restricted
// XML of RFC 6120 §11 and `limits` apply (an XML declaration in front is allowed). The error is
// the reason, for the log.
Result<BoshRequest, std::string> parse_bosh_request(std::string_view document,
                                                    const xmpp::ParserLimits& limits);

// What the session creation response announces (XEP-0124 §7.1, XEP-0206 §4).
struct BoshCreated {
  std::string sid;
  std::string from;    // the server's domain, from the stream's <open/>
  std::string authid;  // the stream id
  std::uint64_t wait = 60;
  std::uint64_t inactivity = 60;
  std::uint64_t hold = 1;
  bool secure = false;
};

// <body …session attributes…>payload</body>.
std::string bosh_created_body(const BoshCreated& created, std::string_view payload);
// <body>payload</body>: what a request gets while the session lives.
std::string bosh_body(std::string_view payload);
// <body type='terminate' condition=…>payload</body> (XEP-0124 §17.2; no condition: a clean end).
std::string bosh_terminate_body(std::string_view condition, std::string_view payload = {});

// The element name of one of the c2s connection's framed messages ("open", "close",
// "stream:features", "message"…): what the bridge needs to tell framing from stanzas.
std::string_view framed_element_name(std::string_view message);
// The stream id and the server's domain of an <open/> message (empty when it is none).
struct FramedOpen {
  std::string id;
  std::string from;
};
FramedOpen framed_open(std::string_view message);

}  // namespace tern::core::http
