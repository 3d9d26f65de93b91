// SPDX-License-Identifier: MIT
// C2sSession: one client stream's negotiation and life (RFC 6120 §4–§7), with no I/O of its own.
// The connection hands it decrypted bytes and gives it a SessionIo to write to; the server gives it
// a SessionHost for what only the server knows (its domains, accounts, the session registry and
// the router). The state machine:
//
//   ExpectHeader ─► [STARTTLS ─► TLS handshake ─► ExpectHeader] ─► SASL ─► restart
//                ─► ExpectHeader ─► bind (+ legacy session) ─► Established ─► Closed
//
// Each negotiation step lives in its own file (negotiate_tls.cpp, negotiate_sasl.cpp,
// negotiate_bind.cpp); this file's .cpp holds the stream-level logic. The stream's bytes are read
// and written by a StreamCodec: XML, or binary frames when the connection's TLS handshake agreed on
// them (stream_codec.h); nothing else here depends on the format.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/c2s/auth_throttle.h"
#include "core/c2s/client_state.h"
#include "core/c2s/counters.h"
#include "core/c2s/stream_codec.h"
#include "core/c2s/stream_management.h"
#include "xmpp/jid.h"
#include "xmpp/prepared_stanza.h"
#include "xmpp/result.h"
#include "xmpp/sasl/mechanism.h"
#include "xmpp/stanza_error.h"

namespace tern::core::c2s {

class C2sSession;

// The connection's side: where output goes and what TLS can do.
class SessionIo {
 public:
  virtual ~SessionIo() = default;
  // Stream bytes to send (XML text or binary frames); the connection encrypts and batches them.
  virtual void write(std::string_view bytes) = 0;
  // Whether STARTTLS can be offered (a certificate exists and the stream is not encrypted yet).
  virtual bool can_start_tls() const = 0;
  // Called right after <proceed/> was written: the connection flushes it, then runs the TLS
  // server handshake and calls C2sSession::on_tls_established().
  virtual void start_tls() = 0;
  virtual bool encrypted() const = 0;
  virtual std::vector<xmpp::sasl::ChannelBindingData> channel_bindings() const = 0;
  // Flush what was written, then close the connection. The session is closed already.
  virtual void close() = 0;
  // The session has more to write than it writes at once (a resend after resumption): it is
  // called back with C2sSession::on_writable() once what it wrote has gone to the kernel, on a
  // later turn of the loop.
  virtual void request_writable() {}
};

// The server's side.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual bool serves_domain(std::string_view domain) const = 0;
  virtual const xmpp::sasl::SaslServerOptions& sasl_options(std::string_view domain) const = 0;
  virtual std::string new_stream_id() = 0;
  // Binds `requested` (a full JID) for `session`, or one with a server-chosen resource when
  // `requested` is bare. An existing session with the same full JID is replaced (RFC 6120
  // §7.7.2.2: the old one gets a conflict stream error). Returns the bound JID.
  virtual Result<xmpp::Jid, xmpp::StanzaError> bind(C2sSession& session,
                                                    const xmpp::Jid& requested) = 0;
  // A stanza from an established session, `from` already stamped. With stream management on,
  // `ticket` is its XEP-0198 number (0 otherwise): the host calls session.stanza_handled(ticket)
  // once the stanza is safe (delivered or committed) — at once, or later.
  virtual void on_stanza(C2sSession& session, xmpp::StanzaPtr stanza,
                         StreamManagement::Ticket ticket) = 0;
  // A top-level element outside jabber:client (stream management, CSI…); false: not supported.
  virtual bool on_nonza(C2sSession& session, xmpp::StanzaPtr element) = 0;
  // Extra stream features for an authenticated stream (stream management, roster versioning…).
  virtual void add_features(C2sSession& session, xmpp::Element& features) = 0;
  // Extra features offered with SASL (XEP-0077 <register/>), once the stream is encrypted (or
  // may authenticate without). The defaults offer none and take no IQ before authentication.
  virtual void add_features_before_authentication(C2sSession& /*session*/,
                                                  xmpp::Element& /*features*/) {}
  // An IQ before authentication (XEP-0077 in-band registration), under the same condition; the
  // answer comes back through session.answer_before_authentication(). False: the host takes no
  // IQ before authentication, and the session ends the stream with <not-authorized/>.
  virtual bool on_iq_before_authentication(C2sSession& /*session*/, xmpp::StanzaPtr /*iq*/) {
    return false;
  }
  // The session ended (cleanly or not); called once, after it was bound or not.
  virtual void on_closed(C2sSession& session) = 0;

  // XEP-0198 resumption (§5). The defaults offer none.
  // A resumption id for `session` (which asked for one), or "" to refuse.
  virtual std::string register_resumable(C2sSession& /*session*/) { return {}; }
  // The connection of a resumable session is gone: the host takes the session over (it writes
  // nowhere now, collects deliveries as unacknowledged) until it is resumed or expires.
  virtual void on_detached(C2sSession& /*session*/) {}
  // A session (connected or detached) holds more unacknowledged stanzas than SessionOptions
  // allow: the host calls session.end_for_unacked_overflow() soon, not from inside this call (a
  // delivery), taking a detached session out of its keeping first.
  virtual void on_unacked_overflow(C2sSession& /*session*/) {}
  // Failed logins per account and per address, shared by every session (none: no throttling).
  virtual AuthThrottle* auth_throttle() { return nullptr; }
  // The worker's figures for /metrics (none: counted nowhere that is read).
  virtual Counters* counters() { return nullptr; }
  // `session` (authenticated, not bound) asks to resume `previd`; the host answers later with
  // resume_succeeded() or resume_failed().
  virtual void resume(C2sSession& session, std::string_view previd);
};

struct SessionOptions {
  bool require_encryption = true;      // no SASL before STARTTLS
  std::uint32_t resume_timeout_s = 0;  // XEP-0198 resumption window; 0: not offered
  int max_auth_failures = 3;  // wrong credentials; RFC 6120 §6.4.5 asks for 2 to 5 retries
  // XEP-0198: stanzas kept until the client acknowledges them, and the memory they hold; past
  // either the session ends with resource-constraint (c2s.max_unacked_stanzas, _bytes).
  std::size_t max_unacked_stanzas = 5000;
  std::size_t max_unacked_bytes = 16 << 20;
  xmpp::ParserLimits limits;
  // Before authentication a stanza (and a text run) may be no larger than this: nothing a client
  // sends then needs more, and an anonymous peer should cost little (Prosody: 10,000 bytes).
  std::size_t max_stanza_bytes_before_auth = 10000;
};

enum class SessionState : std::uint8_t {
  ExpectHeader,    // waiting for <stream:stream>
  Negotiating,     // features sent, before authentication
  TlsHandshake,    // <proceed/> sent; bytes now belong to the TLS layer
  Authenticating,  // a SASL exchange is in progress
  Authenticated,   // SASL done, waiting for the restart and bind
  Established,     // resource bound: stanzas are routed
  Detached,        // XEP-0198: the connection is gone; waiting to be resumed or to expire
  Resuming,        // XEP-0198: <resume/> received; waiting for the host to hand the old state
  Closed,
};

class C2sSession final : private CodecSink {
 public:
  C2sSession(SessionIo& io, SessionHost& host, SessionOptions options);
  ~C2sSession() override;
  C2sSession(const C2sSession&) = delete;
  C2sSession& operator=(const C2sSession&) = delete;

  // Decrypted bytes from the client.
  void on_bytes(std::string_view bytes);
  // The TLS handshake finished: the client will open a new stream. On a fresh connection (direct
  // TLS) `format` is what ALPN agreed on; Binary switches the stream to binary frames before its
  // first byte (docs/binary-xmpp.md §2.1).
  void on_tls_established(WireFormat format = WireFormat::Xml);
  // The connection speaks XMPP over WebSocket (RFC 7395): before the first byte, the session
  // takes one message per on_bytes() and frames its output with <open/> and <close/>.
  void use_websocket_framing();
  // The connection is gone (EOF, error, timeout): no more output is possible. `reason` says why,
  // for the log ("disconnected", "tls-error", …).
  void on_disconnected(std::string_view reason = "disconnected");

  // Delivers a stanza to the client (established sessions; detached ones keep it). Returns
  // whether the session keeps a copy until the client acknowledges it (stream management): then
  // the copy reports the stanza's delivery receipt; otherwise that is the caller's to report
  // once the bytes are written. A stanza a binary stream cannot carry (a name outside ASCII) is
  // dropped for this session and true is returned, so that nobody reports it delivered.
  bool deliver(const xmpp::Stanza& stanza);
  // A fan-out's copy for this session's full JID `to` (Sessions::deliver_prepared), written from
  // the prepared bytes without a tree of its own when the stream takes it as it comes (XML, no
  // client-state holding, no resend under way). False, with nothing done, otherwise: the caller
  // then delivers a copy.
  bool deliver_prepared(const xmpp::PreparedStanza& stanza, std::string_view to);
  // The answer to an IQ taken by SessionHost::on_iq_before_authentication (dropped if the
  // session has moved on since).
  void answer_before_authentication(const xmpp::Stanza& reply);
  // XEP-0198: the inbound stanza `ticket` is safe (see SessionHost::on_stanza).
  void stanza_handled(StreamManagement::Ticket ticket);
  // What the client never acknowledged (empty without stream management), for the host to route
  // again when the session has ended.
  std::deque<xmpp::StanzaPtr> take_unacked() { return sm_.take_unacked(); }
  const StreamManagement& stream_management() const { return sm_; }

  // XEP-0198 resumption, driven by the host.
  const std::string& resume_id() const { return resume_id_; }
  // A detached session's window has passed (or it kept too much): it ends like a lost
  // connection.
  void expire(std::string_view reason = "resumption-expired");
  // After SessionHost::on_unacked_overflow: an established session ends with resource-constraint,
  // a detached one expires; what it kept goes back to the router (SessionHost::on_closed).
  void end_for_unacked_overflow();
  // Hands the old session's stream management over (the host took it from the detached
  // session): the client gets <resumed/> and everything it never acknowledged again.
  void resume_succeeded(const xmpp::Jid& jid, StreamManagement previous, std::string id);
  void resume_failed();
  // The connection took what was written before (SessionIo::request_writable): the next slice.
  void on_writable();
  // Moves the stream management state out (the detached session is then dropped unnotified).
  StreamManagement take_stream_management() { return std::exchange(sm_, StreamManagement{}); }
  // Ends the stream with an error (written first if the connection still works).
  void close(const xmpp::StreamError& error);
  // Ends the stream cleanly with </stream:stream>.
  void close();

  SessionState state() const { return state_; }
  WireFormat wire_format() const { return codec_->format(); }
  bool established() const { return state_ == SessionState::Established; }
  // The domain the client asked for in its stream header.
  const std::string& domain() const { return domain_; }
  // After authentication: the bare JID; after bind: the full JID.
  const xmpp::Jid& jid() const { return jid_; }
  const std::string& stream_id() const { return stream_id_; }
  // An opaque number the owner uses to find its way back to the session (the connection id).
  void set_owner_id(std::uint64_t id) { owner_id_ = id; }
  std::uint64_t owner_id() const { return owner_id_; }

  // For the log: the connection's label ("WORKER.ID") and the peer's address ("1.2.3.4:5678"),
  // carried in the session's lines.
  void set_log_context(std::string connection, std::string peer) {
    log_connection_ = std::move(connection);
    peer_ = std::move(peer);
  }
  const std::string& log_connection() const { return log_connection_; }
  const std::string& peer() const { return peer_; }
  // Why the stream ended, once it has: "client-closed", "error-sent:<condition>",
  // "error-received:<condition>", "disconnected", … (the first cause wins).
  const std::string& end_reason() const { return end_reason_; }

 private:
  // xmpp::StreamSink
  void on_stream_open(const xmpp::StreamHeader& header) override;
  void on_stanza(xmpp::StanzaPtr stanza) override;
  void on_stream_close() override;
  void on_stream_error(const xmpp::StreamError& error) override;
  // CodecSink
  void on_foreign_input() override;

  // The peer sent <stream:error/> (RFC 6120 §4.9): the stream is over; we close our side.
  void on_peer_stream_error(const xmpp::StreamError& error);
  void set_end_reason(std::string_view reason);
  void send_header(std::string_view to);
  void send_features();
  // Whether SASL (and what comes with it) may start: over TLS, or where plaintext is allowed.
  bool may_authenticate() const;
  // False when the stream's format cannot carry `element` (then nothing was written).
  bool write(const xmpp::Element& element);
  void finish(bool notify_io);
  // options_.limits, with the stanza size capped at max_stanza_bytes_before_auth.
  xmpp::ParserLimits limits_before_auth() const;

  // negotiate_tls.cpp
  void handle_starttls(const xmpp::Element& element);
  // negotiate_sasl.cpp
  void add_sasl_features(xmpp::Element& features);
  void handle_sasl(const xmpp::Element& element);
  void sasl_step(const xmpp::sasl::Step& step);
  void sasl_failure(xmpp::sasl::SaslFailure failure, std::string_view text = {});
  // negotiate_bind.cpp
  void add_bind_features(xmpp::Element& features);
  bool handle_bind_iq(const xmpp::Element& iq);
  // established traffic
  void handle_client_stanza(xmpp::StanzaPtr stanza);
  // Writes a stanza to the client, keeping a copy for XEP-0198 when enabled; false when it could
  // not be written (see write()).
  bool transmit(const xmpp::Stanza& stanza);
  void handle_csi(const xmpp::Element& element);
  // stream_management_nonzas.cpp (XEP-0198)
  void add_sm_features(xmpp::Element& features);
  void handle_sm(const xmpp::Element& element);
  void sm_failed(std::string_view condition);
  void request_ack();
  // Writes the next slice of what stream management keeps but this connection has not carried
  // yet (a resend after resumption), and asks to be called again while some is left.
  void write_unwritten();
  // Past c2s.max_unacked_stanzas or _bytes: tells the host (once), which ends the session on the
  // next turn of the loop. True when over the limit.
  bool unacked_over_limit();

  SessionIo* io_;  // a sink that drops everything once detached
  SessionHost& host_;
  Counters* counters_;  // the worker's (SessionHost::counters)
  SessionOptions options_;
  StreamCodecPtr codec_;
  std::string out_;  // reused output buffer
  SessionState state_ = SessionState::ExpectHeader;
  bool header_sent_ = false;
  bool closed_notified_ = false;
  std::string domain_;
  std::string stream_id_;
  xmpp::Jid jid_;
  std::unique_ptr<xmpp::sasl::ServerMechanism> mechanism_;
  std::string mechanism_name_;  // as the client asked for it, for the log
  int auth_failures_ = 0;       // wrong credentials
  int sasl_attempts_ = 0;       // failed exchanges of any kind
  static constexpr int kMaxSaslAttempts = 10;
  std::uint64_t owner_id_ = 0;
  StreamManagement sm_;
  ClientState csi_;                    // XEP-0352
  std::string resume_id_;              // XEP-0198 §5, when resumption was enabled
  std::uint32_t resume_client_h_ = 0;  // the h of the client's <resume/>
  bool ack_requested_ = false;         // our <r/> is waiting for the client's <a/>
  bool ack_owed_ = false;  // the client's <r/> was answered before everything was handled
  bool unacked_overflow_reported_ = false;  // on_unacked_overflow() was called
  std::string log_connection_;
  std::string peer_;
  std::string end_reason_;
};

}  // namespace tern::core::c2s
