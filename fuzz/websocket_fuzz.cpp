// SPDX-License-Identifier: MIT
// Fuzz target for the WebSocket decoder (core/net/websocket.h). The first byte chooses the
// slicing (low 7 bits) and the role (top bit: reading a server's frames, as the BOSH bridge
// does); the rest is what the peer sends after the handshake. Oracle: no crash, no message
// over the limit, nothing after an error or a close frame.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/net/websocket.h"

namespace {

constexpr std::size_t kLimit = 4096;

class CheckingSink : public tern::core::net::WebSocketDecoder::Sink {
 public:
  void on_text(std::string_view message) override {
    if (message.size() > kLimit || ended) {
      __builtin_trap();
    }
  }
  void on_ping(std::string_view payload) override {
    if (payload.size() > 125 || ended) {
      __builtin_trap();
    }
  }
  void on_close(std::uint16_t /*code*/) override {
    if (ended) {
      __builtin_trap();
    }
    ended = true;
  }
  bool ended = false;
};

}  // namespace

// libFuzzer's entry point, named by it.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t slice = (data[0] & 0x7F) + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  using Role = tern::core::net::WebSocketDecoder::Role;
  tern::core::net::WebSocketDecoder decoder(kLimit,
                                            (data[0] & 0x80) != 0 ? Role::Client : Role::Server);
  CheckingSink sink;
  for (std::size_t at = 0; at < input.size(); at += slice) {
    if (!decoder.feed(input.substr(at, slice), sink)) {
      sink.ended = true;
    }
  }
  return 0;
}
