// SPDX-License-Identifier: MIT
// Socket I/O of an HTTP connection, one request at a time, with its limits and deadlines.
#include "core/http/http_connection.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "core/http/bosh_service.h"
#include "core/http/exchange.h"
#include "core/http/host_meta.h"
#include "core/http/websocket_upgrade.h"
#include "core/net/listener.h"
#include "log/logger.h"
#include "tls/tls_transport.h"

namespace tern::core::http {
namespace {

const log::Logger kLog("http");

// Reads are parsed (or, while a response is pending, kept in input_) before the next one is
// taken, so one buffer per thread serves every connection of the worker.
constexpr std::size_t kReadBufferSize = 64 * std::size_t{1024};
thread_local std::array<char, kReadBufferSize> t_read_buffer;
// How long a closing connection drains what the peer still sends (so that it reads the
// response rather than a reset).
constexpr std::uint64_t kLingerSeconds = 2;

bool allows(const HttpRoute& route, std::string_view method) {
  for (const std::string& m : route.methods) {
    if (m == method || (method == "HEAD" && m == "GET")) {
      return true;
    }
  }
  return false;
}

std::string allow_header(const HttpRoute& route) {
  std::string allow;
  for (const std::string& m : route.methods) {
    allow += m;
    allow += ", ";
    if (m == "GET") {
      allow += "HEAD, ";
    }
  }
  return allow + "OPTIONS";
}

}  // namespace

void HttpConnection::accept(uv_loop_t* loop, int fd, const sockaddr_storage& peer, HttpEnv& env,
                            bool tls) {
  std::string ip = net::ip_text(peer);
  if (env.admission.admit(ip) != net::ConnectionAdmission::Verdict::Admitted) {
    ::close(fd);
    kLog.warn("limit.refused", "HTTP connection refused: the server or this address is full",
              {{"peer", net::address_text(peer)}, {"listener", tls ? "https" : "http"}});
    return;
  }
  std::unique_ptr<tls::Transport> transport;
  if (tls) {
    auto made = env.tls != nullptr
                    ? tls::TlsTransport::server(*env.tls, tls::ServerAlpn::Http)
                    : Result<std::unique_ptr<tls::TlsTransport>, tls::TransportError>(
                          Err(tls::TransportError{tls::TransportErrorKind::Closed, "no TLS"}));
    if (!made) {
      kLog.error("tls.setup_failed", "cannot create a TLS session: connection not accepted",
                 {{"error", made.error().message}});
      ::close(fd);
      env.admission.release(ip);
      return;
    }
    transport = std::move(made).value();
  } else {
    transport = std::make_unique<tls::PlainTransport>();
  }
  auto* connection = new HttpConnection(env, std::move(transport));
  connection->secure_ = tls;
  if (uv_tcp_init(loop, &connection->tcp_) != 0) {
    ::close(fd);
    env.admission.release(ip);
    delete connection;
    return;
  }
  connection->tcp_.data = connection;
  connection->handles_open_ = 1;
  connection->admitted_ip_ = ip;
  if (uv_tcp_open(&connection->tcp_, fd) != 0) {
    ::close(fd);
    connection->close_handle();
    return;
  }
  uv_timer_init(loop, &connection->timer_);
  connection->timer_.data = connection;
  ++connection->handles_open_;
  uv_tcp_nodelay(&connection->tcp_, 1);
  connection->id_ = env.connections.add(connection);
  connection->label_ = std::to_string(env.worker_id) + ".h" + std::to_string(connection->id_);
  connection->peer_ = net::address_text(peer);
  connection->ip_ = std::move(ip);
  connection->accepted_ms_ = uv_now(loop);
  kLog.debug("conn.accepted", "HTTP connection accepted",
             {{"conn", connection->label_},
              {"peer", connection->peer_},
              {"listener", tls ? "https" : "http"}});
  std::string ignored;
  (void)connection->transport_->start(ignored);
  // The first request's headers (and a TLS handshake) must come within the header timeout.
  connection->set_timeout(env.options.header_timeout_s);
  connection->start_reading();
}

HttpConnection::HttpConnection(HttpEnv& env, std::unique_ptr<tls::Transport> transport)
    : env_(env), transport_(std::move(transport)), parser_(env.options.limits, *this) {}

HttpConnection::~HttpConnection() = default;

void HttpConnection::on_alloc(uv_handle_t* /*handle*/, std::size_t /*suggested*/, uv_buf_t* buf) {
  *buf = uv_buf_init(t_read_buffer.data(), static_cast<unsigned>(t_read_buffer.size()));
}

void HttpConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<HttpConnection*>(stream->data);
  if (self->lingering_) {
    if (nread < 0) {
      self->close_handle();
    }
    return;  // draining
  }
  if (nread > 0) {
    self->on_wire(std::string_view(buf->base, static_cast<std::size_t>(nread)));
  } else if (nread < 0) {
    self->abort(nread == UV_EOF ? std::string_view("disconnected")
                                : uv_err_name(static_cast<int>(nread)));
  }
}

void HttpConnection::on_wire(std::string_view bytes) {
  plaintext_.clear();
  auto received = transport_->on_received(bytes, plaintext_, wire_out_);
  if (!received) {
    kLog.info("tls.failed", "TLS failed: HTTP connection closed",
              {{"error", received.error().message}, {"conn", label_}, {"peer", peer_}});
    flush();  // an alert may wait in wire_out_
    return abort("tls-error");
  }
  if (parser_.in_body()) {
    set_timeout(env_.options.body_timeout_s);  // the body moves
  }
  input_ += plaintext_;
  if (transport_->peer_closed()) {
    closing_ = true;
  }
  process_input();
  flush();
}

void HttpConnection::process_input() {
  if (processing_ || handle_closing_) {
    return;
  }
  processing_ = true;
  while (!input_.empty() && !parser_.paused() && !handle_closing_ && !lingering_) {
    const bool idle_before = !parser_.mid_request();
    auto fed = parser_.feed(input_);
    if (!fed) {
      input_.clear();
      processing_ = false;
      return refuse(fed.error().status, fed.error().reason);
    }
    input_.erase(0, *fed);
    if (idle_before && parser_.mid_request() && !parser_.in_body()) {
      // A new request started: its headers must all come within the header timeout, however
      // slowly they drip (slowloris).
      set_timeout(env_.options.header_timeout_s);
    }
    if (*fed == 0) {
      break;
    }
  }
  processing_ = false;
  if (!upgrade_response_.empty() && request_complete_) {
    return hand_over_websocket();
  }
  if (parser_.paused() || closing_ || lingering_) {
    stop_reading();
  } else {
    start_reading();
  }
  flush();
}

void HttpConnection::start_reading() {
  if (!reading_ && !handle_closing_ && !lingering_) {
    reading_ = uv_read_start(stream(), &HttpConnection::on_alloc, &HttpConnection::on_read) == 0;
  }
}

void HttpConnection::stop_reading() {
  if (reading_ && !lingering_) {
    uv_read_stop(stream());
    reading_ = false;
  }
}

std::vector<HttpHeader> HttpConnection::cors_headers(const HttpRoute& route,
                                                     const HttpRequest& request) const {
  const std::string_view origin = request.header("origin");
  if (!route.cors || origin.empty()) {
    return {};
  }
  const auto& allowed = env_.options.cors_origins;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
    return {{"Access-Control-Allow-Origin", "*"}};
  }
  if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
    return {{"Access-Control-Allow-Origin", std::string(origin)}, {"Vary", "Origin"}};
  }
  return {};
}

HttpResponse HttpConnection::options_response(const HttpRoute& route,
                                              const HttpRequest& request) const {
  HttpResponse response;
  response.status = 204;
  response.header("Allow", allow_header(route));
  // A CORS preflight (Fetch standard §4.8): which methods and headers the real request may use.
  if (!cors_headers(route, request).empty() &&
      request.has_header("access-control-request-method")) {
    response.header("Access-Control-Allow-Methods", allow_header(route));
    const std::string_view asked = request.header("access-control-request-headers");
    response.header("Access-Control-Allow-Headers",
                    asked.empty() ? std::string("Content-Type") : std::string(asked));
    response.header("Access-Control-Max-Age", "86400");
  }
  return response;
}

void HttpConnection::on_head(HttpRequest request) {
  ++requests_;
  request.peer = ip_;
  request.secure = secure_;
  request_complete_ = false;
  awaiting_response_ = true;
  own_response_.reset();
  held_.reset();
  if (env_.metrics_only) {
    route_ = env_.metrics != nullptr && request.path == env_.metrics->path ? env_.metrics : nullptr;
  } else if (builtin_endpoint(request)) {
    return;
  } else if (env_.bosh != nullptr && request.path == env_.options.bosh.path) {
    route_ = &env_.bosh->route();
  } else if (env_.metrics != nullptr && request.path == env_.metrics->path) {
    route_ = env_.metrics;
  } else {
    route_ = env_.router.find_route(request.host, request.path);
  }
  std::vector<HttpHeader> cors;
  std::uint64_t limit = 0;
  if (route_ == nullptr) {
    own_response_ = HttpResponse::text(404, "Not Found\n");
  } else if (request.method == "OPTIONS") {
    own_response_ = options_response(*route_, request);
    cors = cors_headers(*route_, request);
  } else if (!allows(*route_, request.method)) {
    own_response_ = HttpResponse::text(405, "Method Not Allowed\n");
    own_response_->header("Allow", allow_header(*route_));
  } else {
    cors = cors_headers(*route_, request);
    limit = route_->stream_body ? route_->max_body_bytes
                                : std::min<std::uint64_t>(route_->max_body_bytes,
                                                          env_.options.max_buffered_body_bytes);
    if (request.content_length > 0 && static_cast<std::uint64_t>(request.content_length) > limit) {
      return parser_.refuse(413, "the body is larger than " + std::to_string(limit) + " bytes");
    }
  }
  parser_.limit_body(limit);
  const bool has_body = request.chunked || request.content_length > 0;
  auto exchange = std::make_shared<Exchange>(*this, std::move(request), std::move(cors));
  exchange_ = exchange;
  if (!has_body) {
    exchange->body_complete();  // no body: nothing for the module to read
  }
  if (own_response_) {
    if (has_body) {
      // Not worth reading: answered now, and the connection closes after it.
      parser_.pause();
      exchange->respond(std::move(*own_response_));
      own_response_.reset();
      return;
    }
    held_ = std::move(exchange);  // answered once the request is read (on_complete)
    return;
  }
  set_timeout(env_.options.body_timeout_s);
  if (!route_->stream_body) {
    held_ = std::move(exchange);  // the handler runs with the whole body
    return;
  }
  if (has_body) {
    parser_.pause();  // until the handler calls read_body
  }
  const HttpHandler& handler = route_->handler;
  try {
    handler(exchange);
  } catch (const std::exception& e) {
    kLog.error("http.exception", "a route handler threw: 500 sent",
               {{"path", exchange->request().path}, {"error", e.what()}});
    exchange->respond(HttpResponse::text(500, "Internal Server Error\n"));
  }
}

void HttpConnection::on_body(std::string_view data) {
  if (held_) {
    held_->request_for_body().body.append(data);
  } else if (auto exchange = exchange_.lock()) {
    exchange->deliver_body(data);
  }
}

bool HttpConnection::builtin_endpoint(HttpRequest& request) {
  const bool websocket = request.path == env_.options.websocket_path;
  const bool xrd = request.path == "/.well-known/host-meta";
  const bool json = request.path == "/.well-known/host-meta.json";
  if (!websocket && !xrd && !json) {
    return false;
  }
  if (request.chunked || request.content_length > 0) {
    parser_.refuse(413, "no body is taken here");
    return true;
  }
  HttpResponse response;
  if (websocket) {
    if (!asks_for_websocket(request)) {
      // A browser pointed at the endpoint: say what it is.
      response = HttpResponse::text(426, "XMPP over WebSocket (RFC 7395) is served here\n");
      response.header("Upgrade", "websocket");
    } else {
      UpgradeCheck check = check_websocket_upgrade(request, env_.options.cors_origins);
      if (check.status != 0) {
        parser_.refuse(check.status, check.reason);
        return true;
      }
      upgrade_response_ = std::move(check.response);
      return true;  // handed over once the request is complete (on_complete)
    }
  } else if (request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS") {
    response = HttpResponse::text(405, "Method Not Allowed\n");
    response.header("Allow", "GET, HEAD, OPTIONS");
  } else {
    // XEP-0156 §3: anyone may read it, from any origin.
    AltConnections links;
    const std::string base = env_.router.public_base_url(request.host);
    links.websocket = websocket_url(base) + env_.options.websocket_path;
    if (env_.bosh != nullptr) {
      links.bosh = base + env_.options.bosh.path;
    }
    response.status = request.method == "OPTIONS" ? 204 : 200;
    if (request.method != "OPTIONS") {
      response.body = xrd ? host_meta_xrd(links) : host_meta_json(links);
      response.header("Content-Type", xrd ? "application/xrd+xml" : "application/json");
    }
    response.header("Access-Control-Allow-Origin", "*");
    response.header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
  }
  auto exchange = std::make_shared<Exchange>(*this, std::move(request), std::vector<HttpHeader>{});
  exchange_ = exchange;
  exchange->body_complete();
  own_response_ = std::move(response);
  held_ = std::move(exchange);  // answered once the request is read (on_complete)
  return true;
}

void HttpConnection::hand_over_websocket() {
  if (writing_ || !wire_out_.empty()) {
    return;  // on_written comes back here once earlier responses are out
  }
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd) != 0) {
    return abort("websocket-handover");
  }
  // The socket outlives this connection's handle: a duplicate descriptor goes to the new one.
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    kLog.warn("limit.refused", "no descriptor for a WebSocket session: connection closed",
              {{"conn", label_}, {"peer", peer_}});
    return abort("websocket-handover");
  }
  net::Connection::WebSocketHandover handover;
  handover.fd = copy;
  handover.peer = peer_;
  handover.admitted_ip = std::exchange(admitted_ip_, {});  // the place goes along
  handover.transport = std::move(transport_);
  handover.handshake = std::exchange(upgrade_response_, {});
  handover.early_bytes = std::exchange(input_, {});
  handover.max_message_bytes = env_.options.websocket_max_message_bytes;
  handover.trusted = !secure_ && env_.options.consider_websocket_secure;
  uv_loop_t* loop = tcp_.loop;
  close_reason_ = "websocket";
  close_handle();
  net::Connection::adopt_websocket(loop, std::move(handover), env_.xmpp);
}

void HttpConnection::on_complete() {
  request_complete_ = true;
  parser_.pause();  // the next request waits for this one's response
  set_timeout(0);   // the module has it now; the write timeout watches the response
  if (!upgrade_response_.empty()) {
    awaiting_response_ = true;  // the upgrade is this request's answer
    return;  // after feed() returns (process_input), never from inside the parser
  }
  std::shared_ptr<Exchange> exchange = std::move(held_);
  if (!exchange) {
    exchange = exchange_.lock();
    if (exchange && !exchange->body_done()) {
      exchange->body_complete();  // a streaming reader's on_end(true)
    }
    if (!awaiting_response_ && !closing_) {
      next_request();  // answered already (a request without a body)
    }
    return;
  }
  exchange->body_complete();
  if (own_response_) {
    HttpResponse response = std::move(*own_response_);
    own_response_.reset();
    return exchange->respond(std::move(response));
  }
  try {
    route_->handler(exchange);
  } catch (const std::exception& e) {
    kLog.error("http.exception", "a route handler threw: 500 sent",
               {{"path", exchange->request().path}, {"error", e.what()}});
    exchange->respond(HttpResponse::text(500, "Internal Server Error\n"));
  }
}

void HttpConnection::refuse(int status, std::string_view reason) {
  kLog.warn("limit.refused", "HTTP request refused",
            {{"conn", label_},
             {"peer", peer_},
             {"status", static_cast<std::int64_t>(status)},
             {"reason", reason}});
  closing_ = true;
  // The module's exchange (if any) hears on_end(false) and can no longer answer: the refusal
  // is the answer, unless its response had started (then the connection just closes).
  std::shared_ptr<Exchange> current = held_ ? std::move(held_) : exchange_.lock();
  bool answered = false;
  if (current) {
    answered = current->responded();
    current->detach();
  }
  exchange_.reset();
  if (!answered) {
    HttpResponse response = HttpResponse::text(
        status, std::string(reason_phrase(status)) + ": " + std::string(reason) + "\n");
    write(serialize_head(status, response.headers, response.body.size(), false));
    write(response.body);
  }
  awaiting_response_ = false;
  close_after_flush();
}

void HttpConnection::write(std::string_view bytes, std::function<void(bool)> written) {
  if (handle_closing_ || lingering_) {
    if (written) {
      written(false);
    }
    return;
  }
  if (!transport_->send(bytes, wire_out_)) {
    if (written) {
      written(false);
    }
    return abort("tls-error");
  }
  if (written) {
    pending_callbacks_.push_back(std::move(written));
  }
  if (!processing_) {
    flush();
  }
}

void HttpConnection::response_done(bool body_read) {
  awaiting_response_ = false;
  exchange_.reset();
  if (closing_ || (!request_complete_ && !body_read)) {
    // Answered before its body was read (or to close): nothing more is parsed or read on this
    // connection, pipelined requests included.
    closing_ = true;
    parser_.pause();
    input_.clear();
    return close_after_flush();
  }
  if (request_complete_) {
    next_request();
  }
  // Otherwise the parser is about to finish a request without a body: on_complete goes on.
}

void HttpConnection::next_request() {
  if (writing_ || !wire_out_.empty()) {
    // The next request waits until this response has reached the kernel: a client that
    // pipelines requests and never reads cannot make responses pile up here (on_written comes
    // back), and the write timeout keeps watching meanwhile.
    next_after_write_ = true;
    parser_.pause();
    if (!processing_) {
      stop_reading();
    }
    return;
  }
  next_after_write_ = false;
  route_ = nullptr;
  set_timeout(env_.options.idle_timeout_s);
  parser_.resume();
  if (!processing_) {
    process_input();
  }
}

void HttpConnection::body_wanted() {
  parser_.resume();
  if (!processing_) {
    process_input();
  }
}

void HttpConnection::pause_body() {
  parser_.pause();
  if (!processing_) {
    stop_reading();
  }
}

void HttpConnection::resume_body() {
  parser_.resume();
  set_timeout(env_.options.body_timeout_s);
  if (!processing_) {
    process_input();
  }
}

void HttpConnection::flush() {
  if (handle_closing_ || writing_ || wire_out_.empty()) {
    if (!writing_ && wire_out_.empty() && closing_ && !awaiting_response_ && !lingering_ &&
        !handle_closing_) {
      close_after_flush();
    }
    return;
  }
  in_flight_.swap(wire_out_);
  wire_out_.clear();
  in_flight_callbacks_.swap(pending_callbacks_);
  pending_callbacks_.clear();
  uv_buf_t buf = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
  write_request_.data = this;
  if (uv_write(&write_request_, stream(), &buf, 1, &HttpConnection::on_written) != 0) {
    in_flight_.clear();
    return abort("write-error");
  }
  writing_ = true;
  // A client that does not read: the write must make progress within the write timeout.
  set_timeout(env_.options.write_timeout_s);
}

void HttpConnection::on_written(uv_write_t* request, int status) {
  auto* self = static_cast<HttpConnection*>(request->data);
  self->writing_ = false;
  self->in_flight_.clear();
  if (self->handle_closing_) {
    return;
  }
  if (status < 0) {
    return self->abort(uv_err_name(status));
  }
  std::vector<std::function<void(bool)>> done;
  done.swap(self->in_flight_callbacks_);
  for (auto& callback : done) {
    callback(true);
  }
  if (self->handle_closing_) {
    return;
  }
  if (!self->upgrade_response_.empty() && self->request_complete_ && self->wire_out_.empty()) {
    return self->hand_over_websocket();
  }
  if (self->wire_out_.empty() && self->next_after_write_ && !self->closing_) {
    return self->next_request();  // the response is out: on to the pipelined request
  }
  if (self->wire_out_.empty()) {
    // Output settled: back to the deadline of whatever the connection waits for.
    if (self->parser_.in_body()) {
      self->set_timeout(self->env_.options.body_timeout_s);
    } else if (self->awaiting_response_) {
      self->set_timeout(0);
    } else if (!self->closing_) {
      self->set_timeout(self->parser_.mid_request() ? self->env_.options.header_timeout_s
                                                    : self->env_.options.idle_timeout_s);
    }
  }
  self->flush();
}

void HttpConnection::close_after_flush() {
  closing_ = true;
  stop_reading();
  if (writing_ || !wire_out_.empty()) {
    return flush();  // flush() comes back here once the output is written
  }
  if (lingering_ || handle_closing_) {
    return;
  }
  transport_->close(wire_out_);  // TLS close_notify
  if (!wire_out_.empty()) {
    uv_buf_t buf = uv_buf_init(wire_out_.data(), static_cast<unsigned>(wire_out_.size()));
    (void)uv_try_write(stream(), &buf, 1);
    wire_out_.clear();
  }
  lingering_ = true;
  set_timeout(kLingerSeconds);
  shutdown_request_.data = this;
  if (uv_shutdown(&shutdown_request_, stream(),
                  [](uv_shutdown_t* /*request*/, int /*status*/) {}) != 0) {
    return close_handle();
  }
  // Drain what the peer still sends until it closes (or the linger time ends).
  reading_ = uv_read_start(stream(), &HttpConnection::on_alloc, &HttpConnection::on_read) == 0;
}

void HttpConnection::abort(std::string_view reason) {
  if (close_reason_.empty()) {
    close_reason_ = reason;
  }
  close_handle();
}

void HttpConnection::set_timeout(std::uint64_t seconds) {
  if (handle_closing_) {
    return;
  }
  if (seconds == 0) {
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(
      &timer_, [](uv_timer_t* timer) { static_cast<HttpConnection*>(timer->data)->on_timeout(); },
      seconds * 1000, 0);
}

void HttpConnection::on_timeout() {
  if (lingering_) {
    return close_handle();
  }
  if (writing_) {
    kLog.warn("limit.refused", "HTTP response not read within the write timeout: closed",
              {{"conn", label_}, {"peer", peer_}});
    return abort("write-timeout");
  }
  if (parser_.mid_request() && !awaiting_response_) {
    return refuse(408, "the request did not arrive in time");
  }
  if (parser_.in_body()) {
    return refuse(408, "the body stopped arriving");
  }
  if (awaiting_response_) {
    return;  // the module is still working on it
  }
  close_reason_ = "idle";
  close_after_flush();
}

void HttpConnection::shutdown() {
  close_reason_ = "shutdown";
  close_handle();
}

void HttpConnection::close_handle() {
  if (handle_closing_) {
    return;
  }
  handle_closing_ = true;
  env_.connections.remove(id_);
  kLog.debug("conn.closed", "HTTP connection closed",
             {{"conn", label_},
              {"peer", peer_},
              {"requests", requests_},
              {"reason", close_reason_.empty() ? std::string_view("closed")
                                               : std::string_view(close_reason_)},
              {"duration_ms", uv_now(tcp_.loop) - accepted_ms_}});
  if (!admitted_ip_.empty()) {
    env_.admission.release(admitted_ip_);
    admitted_ip_.clear();
  }
  held_.reset();
  if (auto exchange = exchange_.lock()) {
    exchange->detach();
  }
  for (auto* callbacks : {&in_flight_callbacks_, &pending_callbacks_}) {
    std::vector<std::function<void(bool)>> failed;
    failed.swap(*callbacks);
    for (auto& callback : failed) {
      callback(false);
    }
  }
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<HttpConnection*>(handle->data);
    if (--self->handles_open_ == 0) {
      delete self;
    }
  };
  if (handles_open_ == 2) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
}

}  // namespace tern::core::http
