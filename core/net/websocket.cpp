// SPDX-License-Identifier: MIT
#include "core/net/websocket.h"

#include <openssl/sha.h>

#include "xmpp/base64.h"

namespace tern::core::net {
namespace {

// RFC 6455 §1.3: the GUID appended to the client's key.
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// A close frame without a status code reads as 1005 (RFC 6455 §7.1.5).
constexpr std::uint16_t kNoStatus = 1005;

void append_length(std::string& out, std::uint8_t first, std::size_t size) {
  out += static_cast<char>(first);
  if (size < 126) {
    out += static_cast<char>(size);
  } else if (size <= 0xFFFF) {
    out += static_cast<char>(126);
    out += static_cast<char>((size >> 8) & 0xFF);
    out += static_cast<char>(size & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out += static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF);
    }
  }
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kAcceptGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return xmpp::base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

void append_websocket_frame(std::string& out, WebSocketOpcode opcode, std::string_view payload) {
  append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)),
                payload.size());
  out += payload;
}

void append_internal_client_frame(std::string& out, WebSocketOpcode opcode,
                                  std::string_view payload) {
  const std::size_t start = out.size();
  append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)),
                payload.size());
  out[start + 1] = static_cast<char>(static_cast<unsigned char>(out[start + 1]) | 0x80);
  out.append(4, '\0');  // the masking key: zero, so the payload goes as it is
  out += payload;
}

void append_websocket_close(std::string& out, WebSocketClose code) {
  const auto value = static_cast<std::uint16_t>(code);
  const char payload[2] = {static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)};
  append_websocket_frame(out, WebSocketOpcode::Close, std::string_view(payload, 2));
}

WebSocketError WebSocketDecoder::fail(WebSocketClose code, std::string reason) {
  done_ = true;
  buffer_.clear();
  offset_ = 0;
  message_.clear();
  return WebSocketError{code, std::move(reason)};
}

Result<void, WebSocketError> WebSocketDecoder::feed(std::string_view bytes, Sink& sink) {
  if (done_) {
    return {};
  }
  buffer_ += bytes;
  while (!done_) {
    auto frame = next_frame(sink);
    if (!frame) {
      return Err(frame.error());
    }
    if (!*frame) {
      break;
    }
  }
  // Frames are read at an offset and the buffer shifted once per feed: many tiny frames in one
  // read cost one move, not one each.
  buffer_.erase(0, std::min(offset_, buffer_.size()));
  offset_ = 0;
  return {};
}

Result<bool, WebSocketError> WebSocketDecoder::next_frame(Sink& sink) {
  const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data()) + offset_;
  const std::size_t have = buffer_.size() - offset_;
  if (have < 2) {
    return false;
  }
  const bool fin = (b[0] & 0x80) != 0;
  const auto opcode = static_cast<WebSocketOpcode>(b[0] & 0x0F);
  const bool masked = (b[1] & 0x80) != 0;
  std::uint64_t length = b[1] & 0x7F;
  std::size_t at = 2;
  if ((b[0] & 0x70) != 0) {
    return Err(fail(WebSocketClose::ProtocolError, "reserved bits set (no extension was agreed)"));
  }
  if (masked != (role_ == Role::Server)) {
    return Err(fail(WebSocketClose::ProtocolError, role_ == Role::Server
                                                       ? "a client frame must be masked"
                                                       : "a server frame must not be masked"));
  }
  if (length == 126) {
    if (have < 4) {
      return false;
    }
    length = (std::uint64_t{b[2]} << 8) | b[3];
    at = 4;
  } else if (length == 127) {
    if (have < 10) {
      return false;
    }
    length = 0;
    for (int i = 0; i < 8; ++i) {
      length = (length << 8) | b[2 + i];
    }
    at = 10;
    if ((length >> 63) != 0) {
      return Err(fail(WebSocketClose::ProtocolError, "a length's top bit must be 0"));
    }
  }
  const bool control = (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
  if (control && (length > 125 || !fin)) {
    return Err(fail(WebSocketClose::ProtocolError, "a control frame must be short and whole"));
  }
  // Compared without sums that could wrap (a length near 2^64 must not pass as small).
  if (!control && (length > max_message_ || length > max_message_ - message_.size())) {
    return Err(fail(WebSocketClose::TooBig,
                    "a message is larger than " + std::to_string(max_message_) + " bytes"));
  }
  const std::size_t key_size = masked ? 4 : 0;
  if (have - at < key_size || have - at - key_size < length) {
    return false;  // the rest of the frame has not arrived
  }
  const unsigned char* mask = b + at;
  at += key_size;
  std::string payload(buffer_, offset_ + at, static_cast<std::size_t>(length));
  for (std::size_t i = 0; masked && i < payload.size(); ++i) {
    payload[i] = static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
  }
  offset_ += at + static_cast<std::size_t>(length);
  switch (opcode) {
    case WebSocketOpcode::Text:
    case WebSocketOpcode::Continuation: {
      if ((opcode == WebSocketOpcode::Text) == in_message_) {
        return Err(fail(WebSocketClose::ProtocolError,
                        in_message_ ? "a new message inside a fragmented one"
                                    : "a continuation frame outside a message"));
      }
      if (fin && !in_message_) {
        sink.on_text(payload);  // the common case: one frame, one message
        return true;
      }
      message_ += payload;
      in_message_ = !fin;
      if (fin) {
        std::string message = std::move(message_);
        message_.clear();
        sink.on_text(message);
      }
      return true;
    }
    case WebSocketOpcode::Binary: {
      return Err(fail(WebSocketClose::UnsupportedData, "XMPP over WebSocket is text (RFC 7395)"));
    }
    case WebSocketOpcode::Ping:
      sink.on_ping(payload);
      return true;
    case WebSocketOpcode::Pong:
      return true;
    case WebSocketOpcode::Close: {
      done_ = true;
      const std::uint16_t code =
          payload.size() >= 2
              ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                           static_cast<unsigned char>(payload[1]))
              : kNoStatus;
      sink.on_close(code);
      return false;
    }
  }
  return Err(fail(WebSocketClose::ProtocolError, "unknown opcode"));
}

}  // namespace tern::core::net
