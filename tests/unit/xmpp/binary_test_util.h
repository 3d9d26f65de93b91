// SPDX-License-Identifier: MIT
// Helpers for the binary codec's tests: XML text to trees, hex, and one direction of a stream
// (an Encoder and the Decoder that mirrors it) with round-trip checks.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/binary/internal/dictionary.h"
#include "xmpp/binary/xml_text.h"

namespace tern::xmpp::binary::testing {

inline StanzaPtr parse(std::string_view xml) {
  auto item = parse_xml_item(xml);
  EXPECT_TRUE(item.ok()) << xml;
  return item.ok() ? std::move(item->stanza) : nullptr;
}

inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0F];
  }
  return out;
}

inline std::string unhex(std::string_view text) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    if (text[i] == ' ') {
      --i;
      continue;
    }
    out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
  }
  return out;
}

inline std::string byte(int b) {
  return std::string(1, static_cast<char>(b));
}

// One direction: what an encoder sends and its peer's decoder receives.
struct Direction {
  explicit Direction(Role sender = Role::Responder, Limits limits = {})
      : encoder(sender, limits), decoder(sender, limits) {}

  // Opens a stream whose domain is s.example.net (a server's header, or a client's to it).
  void open(std::string_view domain = "s.example.net") {
    StreamHeader h;
    h.content_ns = "jabber:client";
    h.version = "1.0";
    if (encoder.state().sender == Role::Responder) {
      h.from = domain;
    } else {
      h.to = domain;
    }
    std::string frame;
    encoder.encode_stream_open(h, frame);
    Frame f;
    EXPECT_TRUE(decoder.decode(frame, f).ok());
  }
  void own(std::string_view jid) {
    encoder.set_own_jid(jid);
    decoder.set_own_jid(jid);
  }
  // Encodes `xml`, checks that it decodes to the same tree, and returns the frame.
  std::string send(std::string_view xml) {
    StanzaPtr s = parse(xml);
    std::string frame;
    if (s == nullptr) {
      return frame;
    }
    EXPECT_TRUE(encoder.encode(s->root(), frame).ok()) << xml;
    Frame f;
    auto used = decoder.decode(frame, f);
    EXPECT_TRUE(used.ok()) << xml << ": " << (used.ok() ? "" : used.error().reason);
    if (used.ok()) {
      EXPECT_EQ(*used, frame.size()) << xml;
      EXPECT_TRUE(f.stanza != nullptr && equal_trees(s->root(), f.stanza->root())) << xml << "\n"
                                                                                   << hex(frame);
    }
    return frame;
  }

  Encoder encoder;
  Decoder decoder;
};

// The frame body (without its one-byte length) of a frame shorter than 128 bytes.
inline std::string body(const std::string& frame) {
  EXPECT_FALSE(frame.empty());
  EXPECT_EQ(static_cast<std::size_t>(static_cast<unsigned char>(frame[0])), frame.size() - 1);
  return frame.substr(1);
}

inline int element_token(std::string_view name, std::string_view ns) {
  return dict::find_element(name, ns);
}
inline int value_token(std::string_view v) {
  return dict::find_value(v);
}

}  // namespace tern::xmpp::binary::testing
