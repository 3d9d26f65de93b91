// SPDX-License-Identifier: MIT
// Connection: one accepted client socket on one worker. It owns the uv_tcp_t, the Transport
// (plain, switched to TLS by STARTTLS, or TLS from the first byte for direct TLS) and the
// C2sSession, and is the session's SessionIo. Output is batched: everything the session writes
// while handling one read (or one batch of deliveries) goes out in a single uv_write. Closing is a
// request: the connection flushes, shuts its side down and keeps reading (discarding) for a
// moment, so that a client still sending does not get a reset that would destroy the stream error
// it has not read yet (nginx's lingering close); then it closes the handles and frees itself in
// the last close callback.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/c2s/c2s_session.h"
#include "core/loop/timeout_wheel.h"
#include "core/net/admission.h"
#include "core/net/websocket.h"
#include "tls/tls_context.h"
#include "tls/transport.h"

namespace tern::core::net {

class Connection;

// The live connections of one worker, by id: what a SessionHandle resolves against.
class ConnectionSet {
 public:
  std::uint64_t add(Connection* connection) {
    map_.emplace(++last_id_, connection);
    return last_id_;
  }
  void remove(std::uint64_t id) { map_.erase(id); }
  Connection* find(std::uint64_t id) const {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second;
  }
  // Every connection, for shutdown.
  const std::unordered_map<std::uint64_t, Connection*>& all() const { return map_; }
  // Connections with output to send at the end of this turn of the loop (Connection::
  // flush_soon), by id, so one that closes meanwhile is simply not found.
  void queue_flush(std::uint64_t id) { flush_queue_.push_back(id); }
  // Flushes every queued connection; the worker calls it once per loop turn (uv_check).
  void flush_queued();

 private:
  std::unordered_map<std::uint64_t, Connection*> map_;
  std::vector<std::uint64_t> flush_queue_;
  std::vector<std::uint64_t> flushing_;
  std::uint64_t last_id_ = 0;
};

// What every connection of a worker shares.
struct ConnectionEnv {
  unsigned worker_id;
  c2s::SessionHost& host;
  c2s::SessionOptions options;
  const tls::TlsContext* tls;  // nullptr: no TLS offered
  ConnectionSet& connections;
  TimeoutWheel& timeouts;
  std::uint64_t negotiation_timeout_s;  // from accept until the resource is bound
  std::uint64_t idle_timeout_s;         // after that, since the last byte received
  ConnectionAdmission& admission;       // places for connections, shared by the workers
  // A client that does not read: output held beyond the socket buffer, and how long output may
  // wait without progress, before the client is treated as gone (c2s.max_output_bytes,
  // c2s.write_timeout). Write deadlines have their own wheel: they come and go with every write.
  std::size_t max_output_bytes;
  std::uint64_t write_timeout_s;
  TimeoutWheel& write_timeouts;
  c2s::Counters& counters;  // the worker's figures for /metrics
};

class Connection final : public c2s::SessionIo {
 public:
  // Takes over the accepted socket `fd` from `peer`, or closes it if the server or that address
  // has no place left (ConnectionAdmission).
  static void accept(uv_loop_t* loop, int fd, const sockaddr_storage& peer, ConnectionEnv& env,
                     bool direct_tls);

  // Takes over a socket that an HTTP connection upgraded to XMPP over WebSocket (RFC 7395): its
  // descriptor, its transport (TLS stays as it was), its place in ConnectionAdmission, and the
  // plaintext it read past the handshake. `handshake` (the 101 response) goes out first; from then
  // on every message is one element of the session's stream. `trusted`: treated as encrypted
  // although plain ([http] consider_websocket_secure, behind a TLS proxy). The BOSH bridge
  // (core/http/bosh_session.h) hands over one end of a socket pair the same way.
  struct WebSocketHandover {
    int fd = -1;
    std::string peer;  // "address:port"
    std::string admitted_ip;
    std::unique_ptr<tls::Transport> transport;
    std::string handshake;
    std::string early_bytes;
    std::size_t max_message_bytes = 0;
    bool trusted = false;
    std::string listener;  // for the log; empty: "ws" or "wss"
  };
  static void adopt_websocket(uv_loop_t* loop, WebSocketHandover handover, ConnectionEnv& env);

  std::uint64_t id() const { return id_; }
  unsigned worker_id() const { return env_.worker_id; }
  c2s::C2sSession& session() { return *session_; }
  // For /metrics: output waiting in ternd, and whether the session came over HTTP (WebSocket or
  // the BOSH bridge).
  std::size_t output_bytes() const { return queued_bytes(); }
  bool is_websocket() const { return websocket_ != nullptr; }
  // False once the session was handed over (XEP-0198: detached for resumption).
  bool has_session() const { return session_ != nullptr; }
  // Hands the session to the caller; the connection then only finishes closing.
  std::unique_ptr<c2s::C2sSession> release_session() { return std::move(session_); }
  // Sends what the session wrote since the last flush.
  void flush();
  // Sends it at the end of this turn of the worker's loop: stanzas delivered to one connection
  // while the worker handles a batch of reads go out as one TLS record and one write.
  void flush_soon();
  // Calls `done(true)` once everything written so far has been handed to the kernel, or
  // `done(false)` if the connection ends first. (Offline messages are deleted only then.)
  void after_written(std::function<void(bool)> done);
  // Ends the connection without a stream close (a dead peer, a broken transport); `reason` is
  // logged when the session has not ended for a reason of its own.
  void abort(std::string_view reason = "disconnected");
  // Server shutdown: a system-shutdown stream error, written if the socket takes it at once,
  // then the handle is closed without waiting.
  void shutdown();
  // When the connection times out (seconds of the loop clock), and what happens then.
  std::uint64_t deadline() const { return deadline_; }
  void on_timeout();
  // While output waits: when it will have waited write_timeout without the client taking a byte
  // (seconds of the loop clock; `now` counts as progress if the queue shrank since the last
  // look). nullopt once nothing waits: the write wheel then forgets the connection.
  std::optional<std::uint64_t> write_deadline(std::uint64_t now);
  void on_write_timeout();

  // c2s::SessionIo
  void write(std::string_view bytes) override;
  bool can_start_tls() const override;
  void start_tls() override;
  bool encrypted() const override;
  std::vector<xmpp::sasl::ChannelBindingData> channel_bindings() const override;
  void close() override;
  void request_writable() override;

 private:
  friend class ConnectionSet;  // clears flush_queued_ when it flushes
  Connection(ConnectionEnv& env, std::unique_ptr<tls::Transport> transport);
  ~Connection() override;

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_written(uv_write_t* request, int status);
  void on_wire(std::string_view bytes);
  void linger();
  void close_handle();
  // The client is gone as far as we can tell (it does not read): ends the connection at once,
  // without waiting for output it will never take.
  void drop(std::string_view reason);
  // Bytes waiting in ternd: not yet through the transport, encrypted, and what libuv still holds
  // of the write in progress (the kernel took the rest).
  std::size_t queued_bytes() const;
  // Past c2s.max_output_bytes: marks the connection to be dropped, and logs it.
  void check_output_backlog();
  // Encrypts what write() collected into wire_out_ (one record for many stanzas).
  void encode_pending();
  // Hands wire_out_ to the kernel without a write request; true when that settled it (all
  // taken, or the connection failed), false when uv_write must take what is left.
  bool write_at_once();
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  // Logs conn.closed, once, when the handle closes.
  void log_closed();
  // A connection on `fd` (admitted for `admitted_ip`): its handle, id, log context and
  // negotiation deadline; nullptr (the descriptor closed, the place released) on failure.
  static Connection* open(uv_loop_t* loop, int fd, ConnectionEnv& env,
                          std::unique_ptr<tls::Transport> transport, std::string admitted_ip,
                          std::string peer);
  // XMPP over WebSocket: plaintext in is frames, each text message goes to the session.
  void on_websocket_bytes(std::string_view plaintext);
  class WebSocketMessages;

  ConnectionEnv& env_;
  std::uint64_t id_ = 0;
  // For the log: "WORKER.ID", the peer's address, when it was accepted (loop milliseconds), and
  // why the connection (not the session) ended.
  std::string label_;
  std::string peer_;
  std::string admitted_ip_;  // the place it holds in ConnectionAdmission (empty: none)
  std::uint64_t accepted_ms_ = 0;
  std::string close_reason_;
  uv_tcp_t tcp_{};
  uv_write_t write_request_{};
  uv_shutdown_t shutdown_request_{};
  uv_timer_t linger_timer_{};
  std::unique_ptr<tls::Transport> transport_;
  std::unique_ptr<c2s::C2sSession> session_;
  // Stream bytes (XML or binary frames) written since the last flush, not yet through the
  // transport.
  std::string plain_out_;
  std::string wire_out_;   // encrypted output waiting for the next write
  std::string in_flight_;  // the buffer of the write in progress
  std::string plaintext_;  // reused decryption buffer
  // after_written() callbacks: for what waits in wire_out_, and for the write in progress.
  std::vector<std::function<void(bool)>> pending_callbacks_;
  std::vector<std::function<void(bool)>> in_flight_callbacks_;
  bool writing_ = false;
  bool flush_queued_ = false;
  bool output_overflowed_ = false;  // past max_output_bytes: dropped at the next flush
  bool wants_writable_ = false;     // the session waits to write more (request_writable)
  bool in_write_wheel_ = false;
  std::uint64_t write_progress_s_ = 0;  // when output last moved (loop seconds)
  std::size_t write_queue_seen_ = 0;    // libuv's queue then
  bool close_after_flush_ = false;
  std::uint64_t deadline_ = 0;
  bool handle_closing_ = false;
  bool lingering_ = false;  // our side is shut down; reading only to drain the peer
  int handles_open_ = 0;    // tcp_ and linger_timer_: freed when both are closed
  // XMPP over WebSocket (null: a TCP stream): frames in, and every write() framed as one message.
  std::unique_ptr<WebSocketDecoder> websocket_;
  bool websocket_trusted_ = false;  // plain, but behind a TLS proxy: counts as encrypted
};

}  // namespace tern::core::net
