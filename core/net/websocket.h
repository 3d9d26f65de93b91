// SPDX-License-Identifier: MIT
// WebSocket (RFC 6455) as XMPP over WebSocket (RFC 7395) needs it: the opening handshake's
// accept key, and the framing of a connection after it, without I/O (tested and fuzzed on
// bytes). The server side (and a client side for a peer inside ternd): client frames must be
// masked, no extension is negotiated (RSV bits are errors), text messages carry the XML, binary
// messages are refused, fragmented messages are reassembled up to a limit, control frames are
// answered (ping) or end the connection (close).
//
// A library was considered: libwebsockets (in Debian) owns its sockets and event loop, which
// would put WebSocket sessions outside the connections, timeouts and caps every other session
// has; the framing itself is a few hundred lines, checked by unit tests and a fuzz target.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/result.h"

namespace tern::core::net {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string websocket_accept(std::string_view key);

enum class WebSocketOpcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// RFC 6455 §7.4.1 status codes the server sends.
enum class WebSocketClose : std::uint16_t {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  UnsupportedData = 1003,
  TooBig = 1009,
};

// An unmasked server frame with FIN set: `payload` as `opcode`.
void append_websocket_frame(std::string& out, WebSocketOpcode opcode, std::string_view payload);
// A close frame with its status code (and no reason text).
void append_websocket_close(std::string& out, WebSocketClose code);
// A client frame (masked, FIN set) for a peer inside ternd: the BOSH bridge talking to its c2s
// connection over a socket pair. The key is zero (the payload goes unchanged): masking guards
// against cache poisoning by browser scripts (RFC 6455 §10.3), and no browser is on this path.
void append_internal_client_frame(std::string& out, WebSocketOpcode opcode,
                                  std::string_view payload);

struct WebSocketError {
  WebSocketClose code = WebSocketClose::ProtocolError;
  std::string reason;  // for the log
};

class WebSocketDecoder {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // A complete text message (valid as long as the call).
    virtual void on_text(std::string_view message) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    // The peer's close frame (its code, or 1005 when it sent none): no data follows it.
    virtual void on_close(std::uint16_t code) = 0;
  };

  // Server: reads a client's frames, which must be masked. Client: reads a server's frames,
  // which must not be (the BOSH bridge reading its c2s connection).
  enum class Role : std::uint8_t { Server, Client };
  explicit WebSocketDecoder(std::size_t max_message_bytes, Role role = Role::Server)
      : max_message_(max_message_bytes), role_(role) {}

  // Feeds bytes in any slicing. After an error, or after a close frame, nothing more is taken.
  Result<void, WebSocketError> feed(std::string_view bytes, Sink& sink);

 private:
  // Ends the decoder: nothing more is taken.
  WebSocketError fail(WebSocketClose code, std::string reason);
  // Parses a frame from the front of buffer_ if it is all there; false when more is needed.
  Result<bool, WebSocketError> next_frame(Sink& sink);

  std::size_t max_message_;
  Role role_;
  std::string buffer_;  // bytes of frames not complete yet (from offset_ on)
  std::size_t offset_ = 0;
  std::string message_;  // a fragmented text message being reassembled
  bool in_message_ = false;
  bool done_ = false;
};

}  // namespace tern::core::net
