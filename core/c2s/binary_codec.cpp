// SPDX-License-Identifier: MIT
// The binary form of a client stream (docs/binary-xmpp.md), for connections that agreed on the
// ALPN protocol tern-xmpp-binary/1: the preamble, then frames through one Decoder (the client's
// direction) and one Encoder (the server's), each holding its direction's JID table. Partial
// frames wait in a buffer bounded by the frame limit, which the decoder checks as soon as a
// frame's length is known; an idle connection keeps no large buffer.
#include "core/c2s/stream_codec.h"
#include "xmpp/binary/decoder.h"
#include "xmpp/binary/encoder.h"
#include "xmpp/namespaces.h"

namespace tern::core::c2s {
namespace {

namespace bin = xmpp::binary;

// A buffer that once held a large frame is given back rather than kept for the connection's life.
constexpr std::size_t kKeptBufferCapacity = 4096;

class BinaryCodec final : public StreamCodec {
 public:
  BinaryCodec(CodecSink& sink, const xmpp::ParserLimits& limits)
      : sink_(sink),
        decoder_(bin::Role::Initiator, bin::Limits::from(limits)),
        encoder_(bin::Role::Responder, bin::Limits::from(limits)) {}

  WireFormat format() const override { return WireFormat::Binary; }
  void set_limits(const xmpp::ParserLimits& limits) override {
    decoder_.set_limits(bin::Limits::from(limits));
  }

  std::size_t feed(std::string_view bytes) override {
    if (stopped_) {
      return bytes.size();  // discarded: the session is closing
    }
    std::string_view input = bytes;
    if (!pending_.empty()) {
      pending_.append(bytes);
      input = pending_;
    }
    std::size_t used = preamble_done_ ? 0 : read_preamble(input);
    while (preamble_done_ && !stopped_ && used < input.size()) {
      auto decoded = decoder_.decode(input.substr(used), frame_);
      if (!decoded) {
        xmpp::StreamError error;
        error.condition = decoded.error().condition();  // section 9
        error.text = decoded.error().reason;
        fail(error);
        break;
      }
      if (*decoded == 0) {
        break;  // the rest of a frame is still on its way
      }
      used += *decoded;
      dispatch();
    }
    keep_rest(input, stopped_ ? input.size() : used);
    return bytes.size();
  }

  // Binary has no document to restart: the next frame must be a stream header frame, which
  // resets the direction's state itself (section 4.1).
  void request_restart() override { expect_header_ = true; }
  void reset() override {
    expect_header_ = true;
    pending_.clear();
  }
  void stop() override { stopped_ = true; }

  void write_stream_open(std::string& out, const xmpp::StreamHeader& header) override {
    write_preamble(out);
    encoder_.encode_stream_open(header, out);
  }
  bool write(std::string& out, const xmpp::Element& element) override {
    write_preamble(out);
    return encoder_.encode(element, out).ok();
  }
  void write_stream_close(std::string& out) override {
    write_preamble(out);
    bin::Encoder::encode_stream_close(out);
  }
  void bind_own_jid(std::string_view full_jid) override {
    encoder_.set_own_jid(full_jid);
    decoder_.set_own_jid(full_jid);
  }

 private:
  // Returns the bytes of the preamble taken from `input` (0 while incomplete).
  std::size_t read_preamble(std::string_view input) {
    if (input.empty()) {
      return 0;
    }
    if (static_cast<std::uint8_t>(input[0]) != bin::kPreambleMagic) {
      // Section 2.1: not a binary stream at all; closed without an answer.
      stopped_ = true;
      sink_.on_foreign_input();
      return input.size();
    }
    if (input.size() < 2) {
      return 0;
    }
    if (static_cast<std::uint8_t>(input[1]) != bin::kFormatVersion) {
      fail(xmpp::StreamError::unsupported_version("binary XMPP version 1 is required"));
      return input.size();
    }
    preamble_done_ = true;
    return 2;
  }

  void write_preamble(std::string& out) {
    if (!preamble_sent_) {
      preamble_sent_ = true;
      out.push_back(static_cast<char>(bin::kPreambleMagic));
      out.push_back(static_cast<char>(bin::kFormatVersion));
    }
  }

  void dispatch() {
    switch (frame_.kind) {
      case bin::FrameKind::Keepalive:
        return;
      case bin::FrameKind::StreamOpen:
        if (!expect_header_) {
          return fail(xmpp::StreamError::not_well_formed("a stream header inside the stream"));
        }
        if (frame_.header.content_ns != xmpp::ns::kClient) {
          // RFC 6120 §4.8.2, as the XML parser answers it.
          return fail(xmpp::StreamError::invalid_namespace());
        }
        expect_header_ = false;
        return sink_.on_stream_open(frame_.header);
      case bin::FrameKind::StreamClose:
        stopped_ = true;
        return sink_.on_stream_close();
      case bin::FrameKind::Stanza:
        if (expect_header_) {
          return fail(xmpp::StreamError::not_well_formed("a frame before the stream header"));
        }
        return sink_.on_stanza(std::move(frame_.stanza));
    }
  }

  void fail(const xmpp::StreamError& error) {
    stopped_ = true;
    sink_.on_stream_error(error);
  }

  // Keeps input[used..] (an unfinished frame) for the next read.
  void keep_rest(std::string_view input, std::size_t used) {
    const bool from_pending = !pending_.empty() && input.data() == pending_.data();
    if (from_pending) {
      pending_.erase(0, used);
    } else {
      pending_.assign(input.substr(used));
    }
    if (pending_.empty() && pending_.capacity() > kKeptBufferCapacity) {
      std::string().swap(pending_);
    }
  }

  CodecSink& sink_;
  bin::Decoder decoder_;  // the client's direction
  bin::Encoder encoder_;  // ours
  bin::Frame frame_;      // reused between frames
  std::string pending_;   // an unfinished frame (or preamble)
  bool preamble_done_ = false;
  bool preamble_sent_ = false;
  bool expect_header_ = true;
  bool stopped_ = false;
};

}  // namespace

StreamCodecPtr make_binary_codec(CodecSink& sink, const xmpp::ParserLimits& limits) {
  return std::make_unique<BinaryCodec>(sink, limits);
}

}  // namespace tern::core::c2s
