// SPDX-License-Identifier: MIT
// The WebSocket framing of core/net/websocket.h (RFC 6455): the handshake's accept key against
// the RFC's own example, server frames in each length form, client frames decoded in any
// slicing, fragmentation, control frames, and every violation with its close code.
#include "core/net/websocket.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::core::net {
namespace {

// A client frame: masked with `mask`, FIN as given.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                         bool masked = true) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | opcode);
  const std::uint8_t bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(bit | payload.size());
  } else if (payload.size() < 65536) {
    out += static_cast<char>(bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out += static_cast<char>((payload.size() >> shift) & 0xFF);
    }
  }
  const char mask[4] = {0x37, static_cast<char>(0xFA), 0x21, 0x3D};
  if (masked) {
    out.append(mask, 4);
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
  }
  return out;
}

class Collect : public WebSocketDecoder::Sink {
 public:
  void on_text(std::string_view message) override { texts.emplace_back(message); }
  void on_ping(std::string_view payload) override { pings.emplace_back(payload); }
  void on_close(std::uint16_t code) override { close = code; }
  std::vector<std::string> texts;
  std::vector<std::string> pings;
  int close = 0;
};

TEST(WebSocket, AcceptKeyIsTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, ServerFramesInEachLengthForm) {
  for (std::size_t size : {0UL, 125UL, 126UL, 65535UL, 65536UL}) {
    std::string out;
    append_websocket_frame(out, WebSocketOpcode::Text, std::string(size, 'x'));
    const std::size_t header = size < 126 ? 2 : size < 65536 ? 4 : 10;
    ASSERT_EQ(out.size(), header + size) << size;
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
    EXPECT_EQ(static_cast<unsigned char>(out[1]) & 0x80, 0) << "servers never mask";
  }
  std::string close;
  append_websocket_close(close, WebSocketClose::TooBig);
  EXPECT_EQ(close, std::string("\x88\x02\x03\xF1", 4));
}

TEST(WebSocket, ClientFramesInAnySlicing) {
  const std::string stream = client_frame(0x1, "<open/>") + client_frame(0x9, "hi") +
                             client_frame(0x1, std::string(300, 'a')) +
                             client_frame(0x1, "<mes", false) + client_frame(0xA, "") +
                             client_frame(0x0, "sage/>") + client_frame(0x8, "\x03\xe8");
  for (std::size_t slice = 1; slice <= stream.size(); slice += 7) {
    WebSocketDecoder decoder(1024);
    Collect sink;
    for (std::size_t at = 0; at < stream.size(); at += slice) {
      ASSERT_TRUE(decoder.feed(std::string_view(stream).substr(at, slice), sink));
    }
    ASSERT_EQ(sink.texts.size(), 3U) << slice;
    EXPECT_EQ(sink.texts[0], "<open/>");
    EXPECT_EQ(sink.texts[1], std::string(300, 'a'));
    EXPECT_EQ(sink.texts[2], "<message/>");
    EXPECT_EQ(sink.pings, std::vector<std::string>{"hi"});
    EXPECT_EQ(sink.close, 1000);
  }
}

TEST(WebSocket, ViolationsCloseWithTheirCode) {
  struct Case {
    std::string bytes;
    WebSocketClose code;
  };
  const std::vector<Case> cases = {
      {client_frame(0x1, "<a/>", true, false), WebSocketClose::ProtocolError},  // unmasked
      {client_frame(0x2, "<a/>"), WebSocketClose::UnsupportedData},             // binary
      {client_frame(0x1, std::string(2000, 'x')), WebSocketClose::TooBig},
      {client_frame(0x1, std::string(600, 'x'), false) + client_frame(0x0, std::string(600, 'x')),
       WebSocketClose::TooBig},                                 // reassembled
      {client_frame(0x0, "x"), WebSocketClose::ProtocolError},  // no message
      {client_frame(0x1, "x", false) + client_frame(0x1, "y"), WebSocketClose::ProtocolError},
      {client_frame(0x9, std::string(126, 'p')), WebSocketClose::ProtocolError},  // long control
      {client_frame(0x9, "p", false), WebSocketClose::ProtocolError},             // split control
      {std::string("\xC1\x80\0\0\0\0", 6), WebSocketClose::ProtocolError},        // RSV1
      {client_frame(0x3, "x"), WebSocketClose::ProtocolError},                    // opcode 3
  };
  for (const Case& c : cases) {
    WebSocketDecoder decoder(1024);
    Collect sink;
    auto fed = decoder.feed(c.bytes, sink);
    ASSERT_FALSE(fed) << testing::PrintToString(c.bytes);
    EXPECT_EQ(fed.error().code, c.code) << fed.error().reason;
    EXPECT_TRUE(sink.texts.empty());
    EXPECT_TRUE(decoder.feed(client_frame(0x1, "<a/>"), sink));  // takes nothing more
    EXPECT_TRUE(sink.texts.empty());
  }
}

TEST(WebSocket, AnAnnouncedTooLargeFrameIsRefusedBeforeItArrives) {
  WebSocketDecoder decoder(1024);
  Collect sink;
  std::string head = client_frame(0x1, std::string(70000, 'x')).substr(0, 14);
  auto fed = decoder.feed(head, sink);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, WebSocketClose::TooBig);
}

TEST(WebSocket, LengthsNearTwoToTheSixtyFourNeverWrap) {
  // A fragment, then a continuation announcing 2^64 - 14 bytes: once made the size checks wrap
  // to 0 and the decoder spin on the same bytes for ever.
  WebSocketDecoder decoder(1024);
  Collect sink;
  std::string input = client_frame(0x1, std::string(14, 'x'), false);
  std::string huge("\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xF2\0\0\0\0", 14);
  huge[1] = static_cast<char>(0x80 | 127);  // masked, 64-bit length
  input += huge;
  auto fed = decoder.feed(input, sink);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, WebSocketClose::ProtocolError);  // the top bit is set
  WebSocketDecoder second(1024);
  std::string big("\x00\xFF\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xF2\0\0\0\0", 14);
  auto refused = second.feed(client_frame(0x1, std::string(14, 'x'), false) + big, sink);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, WebSocketClose::TooBig);
}

}  // namespace
}  // namespace tern::core::net

namespace tern::core::net {
namespace {

// The BOSH bridge's two directions: its client frames are what a server decoder takes (in each
// length form), and a client-role decoder reads the server's frames and refuses masked ones.
TEST(WebSocketBridge, InternalClientFramesDecodeOnTheServerSide) {
  for (std::size_t size : {0UL, 125UL, 126UL, 65535UL, 65536UL}) {
    std::string frames;
    const std::string payload(size, 'x');
    append_internal_client_frame(frames, WebSocketOpcode::Text, payload);
    append_internal_client_frame(frames, WebSocketOpcode::Ping, "keepalive");
    WebSocketDecoder decoder(1 << 20);
    Collect sink;
    ASSERT_TRUE(decoder.feed(frames, sink)) << size;
    ASSERT_EQ(sink.texts.size(), 1U) << size;
    EXPECT_EQ(sink.texts[0], payload);
    EXPECT_EQ(sink.pings, std::vector<std::string>{"keepalive"});
  }
}

TEST(WebSocketBridge, AClientRoleDecoderReadsServerFramesOnly) {
  std::string frames;
  append_websocket_frame(frames, WebSocketOpcode::Text, "<open/>");
  append_websocket_frame(frames, WebSocketOpcode::Pong, "");
  append_websocket_frame(frames, WebSocketOpcode::Text, std::string(70000, 'y'));
  append_websocket_close(frames, WebSocketClose::Normal);
  WebSocketDecoder decoder(1 << 20, WebSocketDecoder::Role::Client);
  Collect sink;
  for (std::size_t at = 0; at < frames.size(); at += 7) {  // in any slicing
    ASSERT_TRUE(decoder.feed(frames.substr(at, 7), sink));
  }
  ASSERT_EQ(sink.texts.size(), 2U);
  EXPECT_EQ(sink.texts[0], "<open/>");
  EXPECT_EQ(sink.texts[1].size(), 70000U);
  EXPECT_EQ(sink.close, 1000);

  WebSocketDecoder strict(1 << 20, WebSocketDecoder::Role::Client);
  Collect ignored;
  std::string masked;
  append_internal_client_frame(masked, WebSocketOpcode::Text, "<a/>");
  auto fed = strict.feed(masked, ignored);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, WebSocketClose::ProtocolError);
  EXPECT_TRUE(ignored.texts.empty());
}

}  // namespace
}  // namespace tern::core::net
