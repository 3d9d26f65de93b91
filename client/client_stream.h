// SPDX-License-Identifier: MIT
// ClientStream: the client side of one c2s XMPP stream, without I/O. It negotiates the way a real
// client does (RFC 6120: stream header, STARTTLS or direct TLS, SASL SCRAM or PLAIN, the stream
// restart, resource binding) and then carries stanzas both ways. The owner moves bytes: what it
// reads from the socket goes to on_received(), what lands in `wire_out` goes to the socket. That
// keeps one negotiation for every driver: the blocking one (BlockingClient, for the conformance
// runner and tests) and tern-bench's event loop holding thousands of streams.
//
// Options can stop the negotiation early (after TLS, or after SASL) so that a test can play the
// rest by hand, e.g. a stream management resumption instead of a bind.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/binary_wire.h"
#include "tls/tls_context.h"
#include "tls/transport.h"
#include "xmpp/jid.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_error.h"
#include "xmpp/stream_parser.h"

namespace tern::client {

enum class TlsMode : std::uint8_t {
  StartTls,  // plain stream, then <starttls/> (RFC 6120 §5); refuse a server without it
  Direct,    // TLS from the first byte (XEP-0368), ALPN "xmpp-client"
  // Direct TLS offering ALPN "tern-xmpp-binary/1" first (the TLS context must offer it, see
  // binary_tls_options()): binary frames if the server agrees, XML otherwise.
  DirectBinary,
  None,  // no TLS at all (servers that allow it; PLAIN is then sent in the clear)
};

// What a TLS client context for TlsMode::DirectBinary offers: binary, then xmpp-client.
tls::TlsClientOptions binary_tls_options();

enum class Mechanism : std::uint8_t { ScramSha256, ScramSha1, ScramSha512, Plain };
std::string_view mechanism_name(Mechanism mechanism);
std::optional<Mechanism> parse_mechanism(std::string_view name);

// How far negotiate goes before the stream is Ready for the owner.
enum class StopAfter : std::uint8_t {
  Features,  // the first stream features after TLS (nothing authenticated)
  Sasl,      // SASL success and the restarted stream's features (no resource bound)
  Bind,      // a bound resource: a full session
};

struct ClientOptions {
  std::string domain = "localhost";  // the stream's 'to' and the SNI name
  std::string username;              // the localpart to authenticate as
  std::string password;
  std::string resource;  // empty: the server generates one
  TlsMode tls = TlsMode::StartTls;
  Mechanism mechanism = Mechanism::ScramSha256;
  StopAfter stop_after = StopAfter::Bind;
  xmpp::ParserLimits limits;
  // Binary streams only: the full JID of the session a <resume/> sent by hand takes over, bound
  // when <resumed/> arrives (docs/binary-xmpp.md §8.3).
  std::string resume_jid;
};

enum class ClientState : std::uint8_t { Negotiating, Ready, Closed, Failed };

class ClientStream final : private xmpp::StreamSink {
 public:
  // `tls` is a client context (TlsContext::client); it must outlive the stream. It may be null
  // only with TlsMode::None.
  ClientStream(ClientOptions options, const tls::TlsContext* tls);
  ~ClientStream() override;
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // The first bytes to send: a TLS ClientHello (direct TLS) or the stream header.
  void start(std::string& wire_out);
  // Bytes read from the socket, in any slicing.
  void on_received(std::string_view wire_bytes, std::string& wire_out);
  // The socket reached its end (the peer closed TCP).
  void on_disconnected();

  // Once Ready: one top-level element, or XML text written as is (the caller vouches for it).
  void send(const xmpp::Element& element, std::string& wire_out);
  void send_xml(std::string_view xml, std::string& wire_out);
  // Closes the stream (</stream:stream>, then TLS close_notify).
  void close(std::string& wire_out);

  ClientState state() const { return state_; }
  bool ready() const { return state_ == ClientState::Ready; }
  // Why the stream failed or closed, for people: "SASL failure: not-authorized", "stream error:
  // conflict", "TLS: …".
  const std::string& failure() const { return failure_; }
  // The stream error the server sent, if any.
  const std::optional<xmpp::StreamError>& stream_error() const { return stream_error_; }
  // The full JID the server bound (StopAfter::Bind).
  const xmpp::Jid& jid() const { return jid_; }
  // The latest <stream:features/> received.
  const xmpp::Stanza* features() const { return features_.get(); }
  // The latest stream header received from the server.
  const xmpp::StreamHeader& server_header() const { return server_header_; }
  tls::Transport* transport() const { return transport_.get(); }
  // Whether the stream speaks binary frames (the server agreed on tern-xmpp-binary/1).
  bool binary() const { return binary_ != nullptr; }

  // Top-level elements received once Ready (a <stream:error/> among them, if one came), in order.
  // The owner takes them.
  std::deque<xmpp::StanzaPtr>& received() { return received_; }

  // Plaintext bytes written and read by the stream (before TLS), for bandwidth figures.
  std::uint64_t plaintext_sent() const { return plaintext_sent_; }
  std::uint64_t plaintext_received() const { return plaintext_received_; }

 private:
  enum class Step : std::uint8_t {
    AwaitFeatures,      // header sent, waiting for features (any stream)
    AwaitProceed,       // <starttls/> sent
    AwaitTlsHandshake,  // TLS started, stream header held until the handshake completes
    AwaitSasl,          // <auth/> sent: challenge, success or failure
    AwaitBind,          // bind IQ sent
    Done,
  };

  void on_stream_open(const xmpp::StreamHeader& header) override;
  void on_stanza(xmpp::StanzaPtr stanza) override;
  void on_stream_close() override;
  void on_stream_error(const xmpp::StreamError& error) override;

  void negotiate(xmpp::StanzaPtr stanza);
  void on_features(xmpp::StanzaPtr features);
  void start_sasl(const xmpp::Element& features);
  void on_sasl(const xmpp::Element& element);
  void on_bind_result(const xmpp::Element& iq);
  void start_tls();
  void open_stream();
  void write_plaintext(std::string_view bytes);
  // One element as XML text (negotiation steps, send_xml): as is, or as a binary frame.
  void write_element_xml(std::string_view xml);
  void write_stream_close();
  void request_restart();
  void become_ready();
  void fail(std::string why);

  ClientOptions options_;
  const tls::TlsContext* tls_context_;
  std::unique_ptr<tls::Transport> transport_;
  xmpp::StreamParser parser_;
  xmpp::Serializer serializer_;
  std::unique_ptr<xmpp::sasl::ScramClient> scram_;
  std::unique_ptr<BinaryWire> binary_;  // set once TLS agreed on binary

  ClientState state_ = ClientState::Negotiating;
  Step step_ = Step::AwaitFeatures;
  bool authenticated_ = false;
  bool tls_done_ = false;
  bool stream_pending_ = false;  // a stream header to send once the TLS handshake completes
  std::string failure_;
  std::optional<xmpp::StreamError> stream_error_;
  xmpp::Jid jid_;
  xmpp::StanzaPtr features_;
  xmpp::StreamHeader server_header_;
  std::deque<xmpp::StanzaPtr> received_;

  std::string* wire_out_ = nullptr;  // the buffer of the call in progress
  std::string plaintext_;            // reused: decrypted input
  std::string out_;                  // reused: serialized output
  std::uint64_t plaintext_sent_ = 0;
  std::uint64_t plaintext_received_ = 0;
};

}  // namespace tern::client
