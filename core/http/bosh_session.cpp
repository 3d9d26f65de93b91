// SPDX-License-Identifier: MIT
#include "core/http/bosh_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <limits>

#include "log/logger.h"
#include "tls/transport.h"
#include "xmpp/escape.h"
#include "xmpp/namespaces.h"

namespace tern::core::http {
namespace {

const log::Logger kLog("http");

constexpr std::size_t kReadBufferSize = 64 * std::size_t{1024};
thread_local std::array<char, kReadBufferSize> t_read_buffer;

}  // namespace

// The c2s connection's messages: framing is read, stanzas and stream elements are collected.
class BoshSession::Frames final : public net::WebSocketDecoder::Sink {
 public:
  explicit Frames(BoshSession& session) : session_(session) {}
  void on_text(std::string_view message) override {
    const std::string_view name = framed_element_name(message);
    if (name == "open") {
      FramedOpen open = framed_open(message);
      session_.stream_id_ = std::move(open.id);
      session_.stream_from_ = std::move(open.from);
      return;
    }
    if (name == "close") {
      session_.closed_cleanly_ = true;
      ended = true;
      return;
    }
    if (name == "stream:error") {
      session_.condition_ = "remote-stream-error";
    } else if (name == "stream:features") {
      session_.awaiting_features_ = false;
    }
    session_.output_ += message;
  }
  void on_ping(std::string_view /*payload*/) override {}
  void on_close(std::uint16_t /*code*/) override { ended = true; }
  bool ended = false;

 private:
  BoshSession& session_;
};

BoshSession::BoshSession(uv_loop_t* loop, const BoshOptions& options, Start start,
                         std::function<void()> gone)
    : options_(options),
      start_(std::move(start)),
      gone_(std::move(gone)),
      // The peer is ternd's own c2s connection, and elements the server builds (a PEP items
      // result, a room's disco#items) are not bound by the stanza limit clients are held to.
      decoder_(std::numeric_limits<std::size_t>::max(), net::WebSocketDecoder::Role::Client) {
  uv_pipe_init(loop, &pipe_, 0);
  pipe_.data = this;
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  handles_open_ = 2;
}

BoshSession* BoshSession::create(uv_loop_t* loop, net::ConnectionEnv& env,
                                 const BoshOptions& options, Start start,
                                 const BoshRequest& request, Answer answer,
                                 std::function<void()> gone) {
  // A BOSH session holds a place like any client connection: it is one.
  auto verdict = env.admission.admit(start.ip);
  if (verdict != net::ConnectionAdmission::Verdict::Admitted) {
    kLog.warn("limit.refused",
              verdict == net::ConnectionAdmission::Verdict::ServerFull
                  ? "BOSH session refused: the server holds max_connections"
                  : "BOSH session refused: max_connections_per_address from this address",
              {{"peer", start.peer}});
    answer(200, bosh_terminate_body("policy-violation"));
    return nullptr;
  }
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    env.admission.release(start.ip);
    kLog.warn("limit.refused", "no descriptors for a BOSH session: refused",
              {{"peer", start.peer}});
    answer(200, bosh_terminate_body("internal-server-error"));
    return nullptr;
  }
  auto* session = new BoshSession(loop, options, std::move(start), std::move(gone));
  if (uv_pipe_open(&session->pipe_, fds[0]) != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    env.admission.release(session->start_.ip);
    answer(200, bosh_terminate_body("internal-server-error"));
    session->finished_ = true;  // never announced: nothing to forget
    session->close_handles();
    return nullptr;
  }
  session->pipe_open_ = true;
  session->wait_s_ = std::min(request.wait.value_or(options.max_wait_s), options.max_wait_s);
  session->hold_ = std::min(request.hold.value_or(1), options.max_hold);
  session->to_ = request.to;
  session->lang_ = request.lang;
  session->next_rid_ = request.rid + 1;
  session->last_activity_ms_ = session->now_ms();

  net::Connection::WebSocketHandover handover;
  handover.fd = fds[1];
  handover.peer = session->start_.peer;
  handover.admitted_ip = session->start_.ip;  // the place goes to the c2s connection
  handover.transport = std::make_unique<tls::PlainTransport>();
  handover.max_message_bytes = options.max_message_bytes;
  handover.trusted = session->start_.secure;
  handover.listener = session->start_.secure ? "bosh-secure" : "bosh";
  net::Connection::adopt_websocket(loop, std::move(handover), env);

  kLog.info("bosh.created", "BOSH session created",
            {{"bosh", session->start_.label},
             {"peer", session->start_.peer},
             {"wait", session->wait_s_},
             {"hold", session->hold_}});
  session->start_reading();
  session->send_open(session->to_, session->lang_);
  session->held_.push_back({request.rid, std::move(answer), session->now_ms()});
  session->rearm_timer();
  return session;
}

void BoshSession::on_request(BoshRequest request, bool secure, Answer answer) {
  if (finished_) {
    return answer(404, bosh_terminate_body("item-not-found"));
  }
  if (start_.secure && !secure) {
    kLog.warn("limit.refused", "BOSH request refused: the session was created over TLS",
              {{"bosh", start_.label}, {"peer", start_.peer}});
    return answer(403, bosh_terminate_body("policy-violation"));
  }
  last_activity_ms_ = now_ms();
  // A request the client sent again (its HTTP connection broke): a held one is replaced, an
  // answered one gets its answer again.
  for (Pending& pending : held_) {
    if (pending.rid == request.rid) {
      std::swap(pending.answer, answer);
      return answer(200, bosh_body({}));  // the earlier copy, if anyone still waits for it
    }
  }
  if (request.rid < next_rid_) {
    for (const auto& [rid, body] : answered_) {
      if (rid == request.rid) {
        return answer(200, body);
      }
    }
    kLog.info("bosh.refused", "BOSH request with an old rid: session ended",
              {{"bosh", start_.label}, {"rid", request.rid}});
    answer(200, bosh_terminate_body("item-not-found"));
    return finish("old-rid");
  }
  // XEP-0124 §14.2: no more than `requests` (hold + 1) outstanding.
  if (request.rid > next_rid_ + hold_) {
    kLog.info("bosh.refused", "BOSH request past the rid window: session ended",
              {{"bosh", start_.label}, {"rid", request.rid}, {"expected", next_rid_}});
    answer(200, bosh_terminate_body("item-not-found"));
    return finish("rid-window");
  }
  if (request.rid > next_rid_) {
    auto [it, inserted] = early_.try_emplace(request.rid);
    if (!inserted) {
      it->second.answer(200, bosh_body({}));  // the earlier copy of a request sent again
    }
    it->second = Early{std::move(request), std::move(answer)};
    return;
  }
  process(request, std::move(answer));
  for (auto it = early_.find(next_rid_); it != early_.end() && !finished_;
       it = early_.find(next_rid_)) {
    Early early = std::move(it->second);
    early_.erase(it);
    process(early.request, std::move(early.answer));
  }
}

void BoshSession::process(const BoshRequest& request, Answer answer) {
  next_rid_ = request.rid + 1;
  if (connection_ended_) {
    held_.push_back({request.rid, std::move(answer), now_ms()});
    return on_connection_ended();
  }
  for (const std::string& payload : request.payloads) {
    if (payload.size() > options_.max_message_bytes) {
      kLog.warn("limit.refused", "BOSH payload over the stanza limit: session ended",
                {{"bosh", start_.label},
                 {"peer", start_.peer},
                 {"bytes", payload.size()},
                 {"limit", options_.max_message_bytes}});
      answer(200, bosh_terminate_body("policy-violation"));
      return finish("too-big");
    }
    send_frame(net::WebSocketOpcode::Text, payload);
  }
  if (request.terminate) {
    // The client ends the session: its last stanzas, then the stream's end (the c2s session
    // closes as on </stream:stream>), and the terminate answers at once (XEP-0124 §13).
    std::string close = "<close xmlns='";
    close += xmpp::ns::kFraming;
    close += "'/>";
    send_frame(net::WebSocketOpcode::Text, close);
    while (!held_.empty()) {
      Pending pending = std::move(held_.front());
      held_.pop_front();
      reply(pending, bosh_body({}));
    }
    answer(200, bosh_terminate_body({}, std::exchange(output_, {})));
    return finish("terminated");
  }
  if (request.restart) {
    send_open(request.to.empty() ? to_ : request.to, request.lang);
    awaiting_features_ = true;
  } else if (request.payloads.empty()) {
    send_frame(net::WebSocketOpcode::Ping, {});  // activity for the c2s idle deadline
  }
  held_.push_back({request.rid, std::move(answer), now_ms()});
  deliver();
  rearm_timer();
}

void BoshSession::deliver() {
  if (finished_) {
    return;
  }
  if (connection_ended_) {
    return on_connection_ended();
  }
  // Output goes to the oldest held request; more held than `hold` answers the oldest at once
  // (XEP-0124 §10: the client needs a request to send with). The creation and restart answers
  // wait for the stream features.
  while (!held_.empty() && (held_.size() > hold_ || (!output_.empty() && !awaiting_features_))) {
    answer_oldest();
  }
  if (!reading_ && output_.size() < options_.max_pending_bytes) {
    start_reading();
  }
}

void BoshSession::answer_oldest() {
  Pending pending = std::move(held_.front());
  held_.pop_front();
  std::string payload = std::exchange(output_, {});
  if (!created_) {
    created_ = true;
    BoshCreated created;
    created.sid = start_.sid;
    created.from = stream_from_.empty() ? to_ : stream_from_;
    created.authid = stream_id_;
    created.wait = wait_s_;
    created.inactivity = options_.inactivity_s;
    created.hold = hold_;
    created.secure = start_.secure;
    return reply(pending, bosh_created_body(created, payload));
  }
  reply(pending, bosh_body(payload));
}

void BoshSession::reply(Pending& pending, std::string body) {
  answered_.emplace_back(pending.rid, body);
  while (answered_.size() > hold_ + 1) {
    answered_.pop_front();
  }
  last_activity_ms_ = now_ms();
  pending.answer(200, std::move(body));
}

void BoshSession::on_connection_ended() {
  connection_ended_ = true;
  if (condition_.empty() && !closed_cleanly_) {
    condition_ = "remote-connection-failed";  // gone without <close/> or a stream error
  }
  if (pipe_open_ && reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    reading_ = false;
  }
  if (held_.empty()) {
    return;  // the next request hears it (or the inactivity timeout ends the session)
  }
  Pending first = std::move(held_.front());
  held_.pop_front();
  reply(first, bosh_terminate_body(condition_, std::exchange(output_, {})));
  while (!held_.empty()) {
    Pending pending = std::move(held_.front());
    held_.pop_front();
    reply(pending, bosh_terminate_body(condition_));
  }
  finish(condition_.empty() ? "closed" : "stream-error");
}

void BoshSession::finish(std::string_view reason) {
  if (finished_) {
    return;
  }
  finished_ = true;
  kLog.info("bosh.ended", "BOSH session ended",
            {{"bosh", start_.label}, {"peer", start_.peer}, {"reason", reason}});
  while (!held_.empty()) {  // a session ended by a refused request: the others hear it too
    Pending pending = std::move(held_.front());
    held_.pop_front();
    pending.answer(200, bosh_terminate_body(condition_.empty() ? "item-not-found" : condition_));
  }
  for (auto& [rid, early] : early_) {
    early.answer(200, bosh_terminate_body("item-not-found"));
  }
  early_.clear();
  if (gone_) {
    std::exchange(gone_, nullptr)();
  }
  uv_timer_stop(&timer_);
  // What was written still reaches the c2s connection (a terminate's <close/>); end of file
  // follows it, and the connection ends (or waits for resumption) as after a lost TCP stream.
  if (pipe_open_ && uv_shutdown(&shutdown_request_, reinterpret_cast<uv_stream_t*>(&pipe_),
                                [](uv_shutdown_t* request, int /*status*/) {
                                  static_cast<BoshSession*>(request->handle->data)->close_handles();
                                }) == 0) {
    return;
  }
  close_handles();
}

void BoshSession::shutdown() {
  finished_ = true;
  gone_ = nullptr;
  held_.clear();
  early_.clear();
  close_handles();
}

void BoshSession::close_handles() {
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<BoshSession*>(handle->data);
    if (--self->handles_open_ == 0) {
      delete self;
    }
  };
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), on_closed);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }
}

void BoshSession::send_frame(net::WebSocketOpcode opcode, std::string_view payload) {
  if (!pipe_open_ || finished_) {
    return;
  }
  struct Write {
    uv_write_t request;
    std::string bytes;
  };
  auto* write = new Write{};
  net::append_internal_client_frame(write->bytes, opcode, payload);
  uv_buf_t buffer = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  const int status = uv_write(
      &write->request, reinterpret_cast<uv_stream_t*>(&pipe_), &buffer, 1,
      [](uv_write_t* request, int /*status*/) { delete reinterpret_cast<Write*>(request); });
  if (status != 0) {
    delete write;
  }
}

void BoshSession::send_open(std::string_view to, std::string_view lang) {
  std::string open = "<open xmlns='";
  open += xmpp::ns::kFraming;
  open += "' to='";
  xmpp::append_escaped_attr(open, to);
  open += "' version='1.0'";
  if (!lang.empty()) {
    open += " xml:lang='";
    xmpp::append_escaped_attr(open, lang);
    open += '\'';
  }
  open += "/>";
  send_frame(net::WebSocketOpcode::Text, open);
}

void BoshSession::rearm_timer() {
  if (finished_) {
    return;
  }
  const std::uint64_t due = held_.empty() ? last_activity_ms_ + options_.inactivity_s * 1000
                                          : held_.front().since_ms + hold_limit_ms();
  const std::uint64_t now = now_ms();
  uv_timer_start(
      &timer_, [](uv_timer_t* timer) { static_cast<BoshSession*>(timer->data)->on_timer(); },
      due > now ? due - now : 0, 0);
}

std::uint64_t BoshSession::hold_limit_ms() const {
  // The creation request waits for the stream to open however short the client's wait: a
  // 'wait' of 0 asks for quick answers, not for a session that cannot start.
  constexpr std::uint64_t kStreamStartSeconds = 10;
  return (created_ ? wait_s_ : std::max(wait_s_, kStreamStartSeconds)) * 1000;
}

void BoshSession::on_timer() {
  if (finished_) {
    return;
  }
  const std::uint64_t now = now_ms();
  if (!held_.empty()) {
    if (held_.front().since_ms + hold_limit_ms() <= now) {
      if (!created_) {
        // The stream never opened (the server is stopping or the connection failed at once).
        condition_ = "remote-connection-failed";
        return finish("no-stream");
      }
      answer_oldest();  // `wait` is over: an empty answer, and the client asks again
    }
    return rearm_timer();
  }
  if (last_activity_ms_ + options_.inactivity_s * 1000 <= now) {
    return finish(connection_ended_ ? "closed" : "inactive");
  }
  rearm_timer();
}

void BoshSession::start_reading() {
  if (pipe_open_ && !reading_ && !connection_ended_) {
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), &BoshSession::on_alloc,
                             &BoshSession::on_read) == 0;
  }
}

void BoshSession::on_alloc(uv_handle_t* /*handle*/, std::size_t /*suggested*/, uv_buf_t* buf) {
  *buf = uv_buf_init(t_read_buffer.data(), static_cast<unsigned>(t_read_buffer.size()));
}

void BoshSession::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<BoshSession*>(stream->data);
  if (self->finished_) {
    return;
  }
  bool ended = nread < 0;
  if (nread > 0) {
    Frames frames(*self);
    auto fed =
        self->decoder_.feed(std::string_view(buf->base, static_cast<std::size_t>(nread)), frames);
    ended = frames.ended || !fed;
  }
  if (ended) {
    return self->on_connection_ended();
  }
  if (self->output_.size() >= self->options_.max_pending_bytes) {
    uv_read_stop(stream);  // until a request takes it: the c2s connection's limits apply
    self->reading_ = false;
  }
  self->deliver();
}

}  // namespace tern::core::http
