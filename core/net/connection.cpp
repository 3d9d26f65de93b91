// SPDX-License-Identifier: MIT
// Socket I/O of a client connection: reads through the transport into the session, batched
// writes, the STARTTLS switch, and deferred self-deletion.
#include "core/net/connection.h"

#include <unistd.h>

#include <array>

#include "core/net/listener.h"
#include "log/logger.h"
#include "tls/tls_transport.h"

namespace tern::core::net {
namespace {

const log::Logger kLog("c2s");

// Reads are consumed before the callback returns, so one buffer per thread serves every
// connection of the worker: an idle connection holds no read buffer at all.
constexpr std::size_t kReadBufferSize = 64 * std::size_t{1024};
// How long a closing connection keeps draining what the peer still sends.
constexpr std::uint64_t kLingerMilliseconds = 2000;
thread_local std::array<char, kReadBufferSize> t_read_buffer;

// "127.0.0.1:5222", "[::1]:5222": the listening address this connection came in on.
std::string local_address_text(uv_tcp_t* tcp) {
  sockaddr_storage address{};
  int size = sizeof address;
  if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    return {};
  }
  return address_text(address);
}

}  // namespace

void Connection::accept(uv_loop_t* loop, int fd, const sockaddr_storage& peer, ConnectionEnv& env,
                        bool direct_tls) {
  std::string ip = ip_text(peer);
  auto verdict = env.admission.admit(ip);
  if (verdict != ConnectionAdmission::Verdict::Admitted) {
    ::close(fd);  // the client sees the connection closed at once
    bool server_full = verdict == ConnectionAdmission::Verdict::ServerFull;
    kLog.warn(
        "limit.refused",
        server_full ? "connection refused: the server holds max_connections"
                    : "connection refused: max_connections_per_address from this address",
        {{"peer", address_text(peer)},
         {"listener", direct_tls ? "direct_tls" : "starttls"},
         {"limit", static_cast<std::int64_t>(server_full ? env.admission.max_total()
                                                         : env.admission.max_per_address())}});
    return;
  }
  std::unique_ptr<tls::Transport> transport;
  if (direct_tls) {
    if (env.tls == nullptr) {
      ::close(fd);
      env.admission.release(ip);
      return;
    }
    auto tls = tls::TlsTransport::server(*env.tls, tls::ServerAlpn::XmppClientOrBinary);
    if (!tls) {
      kLog.error("tls.setup_failed", "cannot create a TLS session: connection not accepted",
                 {{"error", tls.error().message}});
      ::close(fd);
      env.admission.release(ip);
      return;
    }
    transport = std::move(tls).value();
  } else {
    transport = std::make_unique<tls::PlainTransport>();
  }
  Connection* connection =
      open(loop, fd, env, std::move(transport), std::move(ip), address_text(peer));
  if (connection == nullptr) {
    return;
  }
  if (kLog.enabled(log::Level::Info)) {  // a system call for the local address: only if written
    kLog.info("conn.accepted", "connection accepted",
              {{"conn", connection->label_},
               {"peer", connection->peer_},
               {"listener", direct_tls ? "direct_tls" : "starttls"},
               {"local", local_address_text(&connection->tcp_)}});
  }
  std::string ignored;
  (void)connection->transport_->start(ignored);  // servers send nothing first
  uv_read_start(connection->stream(), &Connection::on_alloc, &Connection::on_read);
}

Connection* Connection::open(uv_loop_t* loop, int fd, ConnectionEnv& env,
                             std::unique_ptr<tls::Transport> transport, std::string admitted_ip,
                             std::string peer) {
  auto* connection = new Connection(env, std::move(transport));
  if (uv_tcp_init(loop, &connection->tcp_) != 0) {
    ::close(fd);
    env.admission.release(admitted_ip);
    delete connection;
    return nullptr;
  }
  connection->tcp_.data = connection;
  connection->handles_open_ = 1;
  connection->admitted_ip_ = std::move(admitted_ip);  // released in close_handle() from here on
  if (uv_tcp_open(&connection->tcp_, fd) != 0) {
    ::close(fd);
    connection->close_handle();
    return nullptr;
  }
  uv_tcp_nodelay(&connection->tcp_, 1);
  connection->id_ = env.connections.add(connection);
  connection->session_->set_owner_id(connection->id_);
  connection->label_ = std::to_string(env.worker_id) + "." + std::to_string(connection->id_);
  connection->peer_ = std::move(peer);
  connection->accepted_ms_ = uv_now(loop);
  connection->session_->set_log_context(connection->label_, connection->peer_);
  // The whole negotiation must finish by this deadline, however busy the client keeps the socket
  // (a slow-drip client cannot hold a half-open session for ever).
  connection->deadline_ = uv_now(loop) / 1000 + env.negotiation_timeout_s;
  env.timeouts.insert(connection->id_, connection->deadline_);
  return connection;
}

void Connection::adopt_websocket(uv_loop_t* loop, WebSocketHandover handover, ConnectionEnv& env) {
  Connection* connection = open(loop, handover.fd, env, std::move(handover.transport),
                                std::move(handover.admitted_ip), std::move(handover.peer));
  if (connection == nullptr) {
    return;
  }
  kLog.info("conn.accepted", "connection accepted",
            {{"conn", connection->label_},
             {"peer", connection->peer_},
             {"listener", !handover.listener.empty()               ? handover.listener
                          : connection->transport_->is_encrypted() ? "wss"
                                                                   : "ws"}});
  connection->websocket_ = std::make_unique<WebSocketDecoder>(handover.max_message_bytes);
  connection->websocket_trusted_ = handover.trusted;
  connection->session_->use_websocket_framing();
  if (!connection->transport_->send(handover.handshake, connection->wire_out_)) {
    return connection->abort("tls-error");
  }
  uv_read_start(connection->stream(), &Connection::on_alloc, &Connection::on_read);
  if (!handover.early_bytes.empty()) {
    connection->on_websocket_bytes(handover.early_bytes);
  }
  if (!connection->handle_closing_) {
    connection->flush();
  }
}

// The session's side of the WebSocket decoder: text messages are stream input, pings are
// answered at once, a close frame ends the input.
class Connection::WebSocketMessages final : public WebSocketDecoder::Sink {
 public:
  explicit WebSocketMessages(Connection& connection) : connection_(connection) {}
  void on_text(std::string_view message) override {
    if (connection_.session_) {
      connection_.session_->on_bytes(message);
    }
  }
  void on_ping(std::string_view payload) override {
    append_websocket_frame(connection_.plain_out_, WebSocketOpcode::Pong, payload);
  }
  void on_close(std::uint16_t /*code*/) override { closed = true; }
  bool closed = false;

 private:
  Connection& connection_;
};

void Connection::on_websocket_bytes(std::string_view plaintext) {
  WebSocketMessages messages(*this);
  auto fed = websocket_->feed(plaintext, messages);
  if (!fed) {
    kLog.warn("limit.refused", "WebSocket framing refused: connection closed",
              {{"conn", label_},
               {"peer", peer_},
               {"code", static_cast<std::int64_t>(fed.error().code)},
               {"reason", fed.error().reason}});
    // The close frame, then a lingering close: a client still sending (the rest of a frame too
    // large) reads the close code rather than a reset. The session ends as on a lost connection.
    append_websocket_close(plain_out_, fed.error().code);
    encode_pending();
    close_reason_ = "websocket-error";
    if (session_) {
      session_->on_disconnected("websocket-error");
    }
    transport_->close(wire_out_);
    close_after_flush_ = true;  // reads go on, discarded, until the linger ends
    return flush();
  }
  if (messages.closed) {
    // The client closed the WebSocket (with or without <close/> first): its close is answered,
    // and the connection is gone like a TCP stream at EOF (a resumable session waits).
    append_websocket_close(plain_out_, WebSocketClose::Normal);
    flush();
    abort("disconnected");
  }
}

Connection::Connection(ConnectionEnv& env, std::unique_ptr<tls::Transport> transport)
    : env_(env),
      transport_(std::move(transport)),
      session_(std::make_unique<c2s::C2sSession>(*this, env.host, env.options)) {
  env_.counters.sessions_opened.add();
  env_.counters.connections.add(1);
}

Connection::~Connection() {
  env_.counters.connections.add(-1);
}

void Connection::on_alloc(uv_handle_t* /*handle*/, std::size_t /*suggested*/, uv_buf_t* buf) {
  *buf = uv_buf_init(t_read_buffer.data(), static_cast<unsigned>(t_read_buffer.size()));
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self->lingering_) {
    if (nread < 0) {
      self->close_handle();  // the peer has closed too
    }
    return;  // draining: what a closing peer still sends is discarded
  }
  if (nread > 0) {
    self->on_wire(std::string_view(buf->base, static_cast<std::size_t>(nread)));
  } else if (nread < 0) {
    // EOF or error: the client is gone
    self->abort(nread == UV_EOF ? std::string_view("disconnected")
                                : uv_err_name(static_cast<int>(nread)));
  }
}

void Connection::on_wire(std::string_view bytes) {
  if (!session_) {
    return;
  }
  if (session_->established()) {
    deadline_ = uv_now(tcp_.loop) / 1000 + env_.idle_timeout_s;  // whitespace keepalives count
  }
  bool was_done = transport_->handshake_done();
  env_.counters.bytes_in.add(bytes.size());
  plaintext_.clear();
  auto received = transport_->on_received(bytes, plaintext_, wire_out_);
  if (!received) {
    if (received.error().kind == tls::TransportErrorKind::Handshake) {
      env_.counters.tls_failures.add();
    }
    kLog.info("tls.failed", "TLS failed: connection closed",
              {{"stage", received.error().kind == tls::TransportErrorKind::Handshake ? "handshake"
                                                                                     : "record"},
               {"error", received.error().message},
               {"conn", label_},
               {"peer", peer_}});
    flush();  // a TLS alert may be waiting in wire_out_
    return abort("tls-error");
  }
  if (!was_done && transport_->handshake_done() && transport_->is_encrypted()) {
    env_.counters.tls_handshakes.add();
    kLog.info("tls.established", "TLS established",
              {{"version", transport_->protocol_version()},
               {"cipher", transport_->cipher()},
               {"alpn", transport_->negotiated_alpn()},
               {"sni", transport_->sni()},
               {"conn", label_}});
    // ALPN is agreed in the handshake, so the format is known before the first stream byte.
    session_->on_tls_established(transport_->negotiated_alpn() == tls::kAlpnXmppBinary
                                     ? c2s::WireFormat::Binary
                                     : c2s::WireFormat::Xml);
  }
  if (!plaintext_.empty()) {
    if (websocket_) {
      on_websocket_bytes(plaintext_);
      if (!session_ || handle_closing_) {
        return;
      }
    } else {
      session_->on_bytes(plaintext_);
    }
  }
  if (transport_->peer_closed()) {
    return abort();
  }
  flush();
}

void Connection::write(std::string_view bytes) {
  if (handle_closing_ || close_after_flush_ || output_overflowed_) {
    return;  // discarded: with stream management it is still kept as unacknowledged
  }
  if (websocket_) {
    append_websocket_frame(plain_out_, WebSocketOpcode::Text, bytes);  // one element, one message
  } else {
    plain_out_.append(bytes);
  }
}

void Connection::check_output_backlog() {
  // Measured after the write was tried: only what the kernel refused counts, so that a burst to
  // a client that reads is never mistaken for one that does not.
  std::size_t backlog = queued_bytes();
  if (backlog <= env_.max_output_bytes || output_overflowed_) {
    return;
  }
  // Dropped at the next flush (later this turn), not here: a session may be mid-write.
  output_overflowed_ = true;
  kLog.warn("limit.refused", "output over c2s.max_output_bytes: the client is treated as gone",
            {{"conn", label_},
             {"peer", peer_},
             {"jid", session_ ? session_->jid().full() : std::string_view()},
             {"queued", backlog},
             {"limit", env_.max_output_bytes}});
  flush_soon();
}

std::size_t Connection::queued_bytes() const {
  std::size_t in_libuv =
      writing_ ? uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_)) : 0;
  return plain_out_.size() + wire_out_.size() + in_libuv;
}

void Connection::request_writable() {
  wants_writable_ = true;
  flush_soon();
}

void Connection::encode_pending() {
  if (plain_out_.empty()) {
    return;
  }
  if (!handle_closing_ && !close_after_flush_ && !transport_->send(plain_out_, wire_out_)) {
    close_after_flush_ = true;
  }
  plain_out_.clear();
}

void Connection::flush_soon() {
  if (!flush_queued_ && !handle_closing_) {
    flush_queued_ = true;
    env_.connections.queue_flush(id_);
  }
}

void ConnectionSet::flush_queued() {
  flushing_.swap(flush_queue_);
  for (std::uint64_t id : flushing_) {
    if (Connection* connection = find(id)) {
      connection->flush_queued_ = false;
      connection->flush();
    }
  }
  flushing_.clear();
}

void Connection::flush() {
  if (output_overflowed_ && !handle_closing_) {
    return drop("output-overflow");
  }
  if (wants_writable_ && !writing_ && plain_out_.empty() && wire_out_.empty() && session_ &&
      !close_after_flush_ && !handle_closing_) {
    // Everything written before is with the kernel: the session writes its next slice (one per
    // turn at most, and never more than a slice waits here).
    wants_writable_ = false;
    session_->on_writable();
  }
  encode_pending();
  if (handle_closing_) {
    return;
  }
  if (writing_) {
    return check_output_backlog();  // this waits behind a write the kernel has not taken yet
  }
  if (wire_out_.empty()) {
    if (close_after_flush_) {
      linger();
    }
    return;
  }
  env_.counters.bytes_out.add(wire_out_.size());  // what is left of it goes by uv_write below
  if (write_at_once()) {
    return;
  }
  in_flight_.swap(wire_out_);
  wire_out_.clear();
  in_flight_callbacks_.swap(pending_callbacks_);
  pending_callbacks_.clear();
  uv_buf_t buf = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
  write_request_.data = this;
  if (uv_write(&write_request_, stream(), &buf, 1, &Connection::on_written) != 0) {
    in_flight_.clear();
    return abort("write-error");
  }
  writing_ = true;
  // Output moved: the write timeout counts from here. Only a write the kernel did not take at
  // once needs watching.
  write_progress_s_ = uv_now(tcp_.loop) / 1000;
  write_queue_seen_ = uv_stream_get_write_queue_size(stream());
  if (write_queue_seen_ > 0 && !in_write_wheel_) {
    in_write_wheel_ = true;
    env_.write_timeouts.insert(id_, write_progress_s_ + env_.write_timeout_s);
  }
  check_output_backlog();
}

bool Connection::write_at_once() {
  // The kernel usually takes everything at once: then there is no write request, no callback a
  // turn later, and no change to what epoll watches (a uv_write costs an epoll_ctl besides the
  // write). What it does not take goes by uv_write, as before.
  uv_buf_t buf = uv_buf_init(wire_out_.data(), static_cast<unsigned>(wire_out_.size()));
  int taken = uv_try_write(stream(), &buf, 1);
  if (taken == UV_EAGAIN) {
    return false;
  }
  if (taken < 0) {
    abort(uv_err_name(taken));
    return true;
  }
  if (static_cast<std::size_t>(taken) < wire_out_.size()) {
    wire_out_.erase(0, static_cast<std::size_t>(taken));
    return false;
  }
  wire_out_.clear();
  std::vector<std::function<void(bool)>> done;
  done.swap(pending_callbacks_);
  for (auto& callback : done) {
    callback(true);
  }
  if (handle_closing_) {
    return true;
  }
  if (close_after_flush_ && wire_out_.empty() && plain_out_.empty()) {
    linger();
  } else if (wants_writable_ || !plain_out_.empty() || !wire_out_.empty() || close_after_flush_) {
    flush_soon();  // the session's next slice, or what the callbacks wrote
  }
  return true;
}

std::optional<std::uint64_t> Connection::write_deadline(std::uint64_t now) {
  std::size_t waiting = writing_ && !handle_closing_ ? uv_stream_get_write_queue_size(stream()) : 0;
  if (waiting == 0) {
    in_write_wheel_ = false;  // the wheel forgets it; the next stuck write inserts it again
    return std::nullopt;
  }
  if (waiting < write_queue_seen_) {
    write_progress_s_ = now;  // the client took some: it is slow, not gone
    write_queue_seen_ = waiting;
  }
  return write_progress_s_ + env_.write_timeout_s;
}

void Connection::on_write_timeout() {
  in_write_wheel_ = false;
  kLog.warn("limit.refused",
            "output waited c2s.write_timeout without the client taking any: treated as gone",
            {{"conn", label_},
             {"peer", peer_},
             {"jid", session_ ? session_->jid().full() : std::string_view()},
             {"queued", queued_bytes()},
             {"timeout_s", env_.write_timeout_s}});
  drop("write-timeout");
}

void Connection::drop(std::string_view reason) {
  abort(reason);   // the session detaches (resumable) or ends
  close_handle();  // without waiting for the write in progress: it would never finish
}

void Connection::on_written(uv_write_t* request, int status) {
  auto* self = static_cast<Connection*>(request->data);
  self->writing_ = false;
  self->in_flight_.clear();
  if (self->handle_closing_) {
    return;  // cancelled by a drop: its callbacks were failed already
  }
  if (status < 0) {
    return self->abort(uv_err_name(status));
  }
  std::vector<std::function<void(bool)>> done;
  done.swap(self->in_flight_callbacks_);
  for (auto& callback : done) {
    callback(true);
  }
  self->flush();
}

void Connection::after_written(std::function<void(bool)> done) {
  if (handle_closing_ || close_after_flush_ || output_overflowed_) {
    return done(false);  // what was written since was discarded (see write())
  }
  encode_pending();
  if (wire_out_.empty() && !writing_) {
    return done(true);  // nothing of ours is waiting
  }
  // Appended to what waits for the next write, or if nothing waits, to the write in progress
  // (which carries everything written so far).
  (wire_out_.empty() ? in_flight_callbacks_ : pending_callbacks_).push_back(std::move(done));
}

bool Connection::can_start_tls() const {
  return env_.tls != nullptr && !transport_->is_encrypted() && !websocket_;
}

void Connection::start_tls() {
  // <proceed/> goes through the plain transport; from the next read on, bytes go to TLS.
  encode_pending();
  auto tls = tls::TlsTransport::server(*env_.tls);
  if (!tls) {
    close_after_flush_ = true;
    return;
  }
  transport_ = std::move(tls).value();
  std::string ignored;
  (void)transport_->start(ignored);
}

bool Connection::encrypted() const {
  return (transport_->is_encrypted() && transport_->handshake_done()) || websocket_trusted_;
}

std::vector<xmpp::sasl::ChannelBindingData> Connection::channel_bindings() const {
  return transport_->channel_bindings();
}

void Connection::close() {
  if (!close_after_flush_) {
    if (websocket_) {
      append_websocket_close(plain_out_, WebSocketClose::Normal);  // after the session's <close/>
    }
    encode_pending();
    transport_->close(wire_out_);
    close_after_flush_ = true;
  }
  flush();
}

void Connection::abort(std::string_view reason) {
  if (close_reason_.empty()) {
    close_reason_ = reason;
  }
  if (session_) {
    session_->on_disconnected(reason);  // no-op when the session already ended; may release it
  }
  uv_read_stop(stream());
  close_after_flush_ = true;
  if (!writing_) {
    close_handle();
  }
}

void Connection::on_timeout() {
  if (!session_) {
    return;
  }
  if (session_->established() && !session_->resume_id().empty()) {
    return abort("idle-timeout");  // silent too long: treated as lost, so it can be resumed
  }
  if (!session_->established() && session_->state() != c2s::SessionState::Closed) {
    session_->close(xmpp::StreamError::connection_timeout("negotiation took too long"));
  } else {
    session_->close(xmpp::StreamError::connection_timeout());
  }
  flush();
}

void Connection::shutdown() {
  if (session_) {
    session_->close(xmpp::StreamError::system_shutdown());
  }
  encode_pending();
  if (!writing_ && !wire_out_.empty()) {
    uv_buf_t buf = uv_buf_init(wire_out_.data(), static_cast<unsigned>(wire_out_.size()));
    (void)uv_try_write(stream(), &buf, 1);  // best effort: the loop is about to end
  }
  close_handle();
}

void Connection::linger() {
  if (lingering_ || handle_closing_) {
    return;
  }
  lingering_ = true;
  shutdown_request_.data = this;
  if (uv_shutdown(&shutdown_request_, stream(), [](uv_shutdown_t* request, int /*status*/) {
        auto* self = static_cast<Connection*>(request->data);
        if (self->handle_closing_) {
          return;
        }
        self->linger_timer_.data = self;
        if (uv_timer_init(self->tcp_.loop, &self->linger_timer_) != 0) {
          return self->close_handle();
        }
        ++self->handles_open_;
        uv_timer_start(
            &self->linger_timer_,
            [](uv_timer_t* timer) { static_cast<Connection*>(timer->data)->close_handle(); },
            kLingerMilliseconds, 0);
      }) != 0) {
    close_handle();
  }
}

void Connection::log_closed() {
  // Without a session, it was detached (XEP-0198): it waits for its client to resume it, and
  // close_reason_ says what happened to the connection.
  std::string_view reason = session_ ? std::string_view(session_->end_reason()) : "detached";
  std::string_view cause = session_ ? std::string_view() : std::string_view(close_reason_);
  if (reason.empty()) {
    reason = close_reason_.empty() ? std::string_view("closed") : std::string_view(close_reason_);
  }
  kLog.info("conn.closed", "connection closed",
            {{"conn", label_},
             {"peer", peer_},
             {"jid", session_ ? session_->jid().full() : std::string_view()},
             {"reason", reason},
             {"cause", cause},
             {"duration_ms", uv_now(tcp_.loop) - accepted_ms_}});
}

void Connection::close_handle() {
  if (handle_closing_) {
    return;
  }
  handle_closing_ = true;
  if (id_ != 0) {
    env_.connections.remove(id_);
    log_closed();
  }
  if (!admitted_ip_.empty()) {
    env_.admission.release(admitted_ip_);  // the descriptor is closed with the handle, below
    admitted_ip_.clear();
  }
  // What was never written never will be.
  for (auto* callbacks : {&in_flight_callbacks_, &pending_callbacks_}) {
    std::vector<std::function<void(bool)>> failed;
    failed.swap(*callbacks);
    for (auto& callback : failed) {
      callback(false);
    }
  }
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<Connection*>(handle->data);
    if (--self->handles_open_ == 0) {
      delete self;
    }
  };
  if (handles_open_ == 2) {
    uv_close(reinterpret_cast<uv_handle_t*>(&linger_timer_), on_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
}

}  // namespace tern::core::net
