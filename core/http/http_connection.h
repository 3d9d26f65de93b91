// SPDX-License-Identifier: MIT
// HttpConnection: one accepted HTTP/1.1 connection on one worker (docs/http.md). It owns the
// uv_tcp_t, the transport (plain, or TLS with ALPN http/1.1), the RequestParser and the exchange
// in progress. One request at a time: bytes of a pipelined next request wait, unparsed, until the
// response to this one has been written, and reading stops meanwhile, so a connection holds at
// most one read of input. Keep-alive, a header timeout against clients that drip their headers,
// a body timeout, an idle timeout between requests, and a write timeout for clients that do not
// read (one uv_timer per connection: HTTP connections are few next to XMPP sessions, and their
// deadlines move both ways, which the sessions' timeout wheel does not do). Every refusal is
// answered with its status, logged, and closes the connection; other connections never notice.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/http/bosh_session.h"
#include "core/http/request_parser.h"
#include "core/net/admission.h"
#include "core/net/connection.h"
#include "tern/http.h"
#include "tls/tls_context.h"
#include "tls/transport.h"

namespace tern::core::http {

class HttpConnection;
class Exchange;
class BoshService;

// Where requests go: the route of a host (by the Host header) for a path, on this worker.
class HttpRouter {
 public:
  virtual ~HttpRouter() = default;
  // The longest route matching `path` among the routes of `host` (an unknown host: the first
  // virtual host's), or nullptr.
  virtual const HttpRoute* find_route(std::string_view host, std::string_view path) const = 0;
  // The public base URL ("https://example.org:5281") of `host`, or of the first virtual host for
  // a name that is none of them: what XEP-0156 discovery points at.
  virtual std::string public_base_url(std::string_view host) const = 0;
};

struct HttpOptions {
  RequestLimits limits;
  std::uint64_t max_buffered_body_bytes = 1 << 20;
  std::uint64_t header_timeout_s = 10;
  std::uint64_t body_timeout_s = 30;
  std::uint64_t idle_timeout_s = 60;
  std::uint64_t write_timeout_s = 60;
  std::vector<std::string> cors_origins;  // "*" allows any
  // XMPP over WebSocket (RFC 7395): the endpoint, the largest message (one element), and
  // whether a plain connection counts as encrypted (behind a TLS proxy).
  std::string websocket_path = "/xmpp-websocket";
  std::size_t websocket_max_message_bytes = 1 << 20;
  bool consider_websocket_secure = false;
  // XMPP over BOSH (XEP-0206): the endpoint and its timings.
  BoshOptions bosh;
};

// The live HTTP connections of one worker, by id (closed at shutdown).
class HttpConnectionSet {
 public:
  std::uint64_t add(HttpConnection* connection) {
    map_.emplace(++last_id_, connection);
    return last_id_;
  }
  void remove(std::uint64_t id) { map_.erase(id); }
  HttpConnection* find(std::uint64_t id) const {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second;
  }
  const std::unordered_map<std::uint64_t, HttpConnection*>& all() const { return map_; }

 private:
  std::unordered_map<std::uint64_t, HttpConnection*> map_;
  std::uint64_t last_id_ = 0;
};

// What every HTTP connection of a worker shares.
struct HttpEnv {
  unsigned worker_id;
  const HttpOptions& options;
  const tls::TlsContext* tls;  // for the TLS listeners
  const HttpRouter& router;
  HttpConnectionSet& connections;
  net::ConnectionAdmission& admission;  // the same places as client connections
  net::ConnectionEnv& xmpp;             // where a WebSocket upgrade's session goes
  BoshService* bosh = nullptr;          // this worker's BOSH endpoint (nullptr: none)
  const HttpRoute* metrics = nullptr;   // /metrics, on every host (nullptr: [metrics] off)
  // A listener of [metrics] listen: /metrics only (no routes, no WebSocket, no discovery).
  bool metrics_only = false;
};

class HttpConnection final : private RequestParser::Sink {
 public:
  // Takes over the accepted socket, or closes it when the server or the address is full.
  static void accept(uv_loop_t* loop, int fd, const sockaddr_storage& peer, HttpEnv& env, bool tls);

  std::uint64_t id() const { return id_; }
  // The deadline passed: 408 in the middle of a request, silence otherwise; then closed.
  void on_timeout();
  // Server shutdown: closed at once.
  void shutdown();

 private:
  friend class Exchange;
  HttpConnection(HttpEnv& env, std::unique_ptr<tls::Transport> transport);
  ~HttpConnection() override;

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_written(uv_write_t* request, int status);
  void on_wire(std::string_view bytes);
  // Parses what waits in input_ until the parser pauses or needs more.
  void process_input();
  void start_reading();
  void stop_reading();

  // RequestParser::Sink
  void on_head(HttpRequest request) override;
  void on_body(std::string_view data) override;
  void on_complete() override;

  // The service's own endpoints (before the modules' routes): XMPP over WebSocket and XEP-0156
  // host-meta. True when the request was one of them.
  bool builtin_endpoint(HttpRequest& request);
  // After a 101 was agreed: once the request is read and earlier output written, the socket
  // goes to a c2s connection in WebSocket mode and this connection closes.
  void hand_over_websocket();
  // Answers a request the server refuses itself (and closes after it).
  void refuse(int status, std::string_view reason);
  // For the exchange: bytes of the response, and what happens once they are written.
  void write(std::string_view bytes, std::function<void(bool)> written = nullptr);
  // The response is complete (`body_read`: the request's body was read, or there was none):
  // the next request, or close.
  void response_done(bool body_read);
  // Keep-alive: ready for the connection's next request.
  void next_request();
  // The exchange's read_body/pause/resume.
  void body_wanted();
  void pause_body();
  void resume_body();
  void flush();
  // Closes after what is queued is written (shutdown, then a short drain of the peer's bytes).
  void close_after_flush();
  void abort(std::string_view reason);
  void close_handle();
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  // Restarts the timer: on_timeout in `seconds` (0: no deadline).
  void set_timeout(std::uint64_t seconds);
  // Cross-origin headers for the response to `request` on `route` (empty: not allowed or not
  // asked for), and the answer to a preflight or plain OPTIONS.
  std::vector<HttpHeader> cors_headers(const HttpRoute& route, const HttpRequest& request) const;
  HttpResponse options_response(const HttpRoute& route, const HttpRequest& request) const;

  HttpEnv& env_;
  std::uint64_t id_ = 0;
  std::string label_;  // "WORKER.hID" for the log
  std::string peer_;
  std::string ip_;
  std::string admitted_ip_;
  bool secure_ = false;
  uv_tcp_t tcp_{};
  uv_write_t write_request_{};
  uv_shutdown_t shutdown_request_{};
  uv_timer_t timer_{};
  int handles_open_ = 0;  // tcp_ and timer_: freed when both are closed
  std::unique_ptr<tls::Transport> transport_;
  RequestParser parser_;
  std::string input_;      // plaintext not parsed yet
  std::string plaintext_;  // reused decryption buffer
  std::string wire_out_;
  std::string in_flight_;
  std::vector<std::function<void(bool)>> pending_callbacks_;
  std::vector<std::function<void(bool)>> in_flight_callbacks_;
  // The request in progress, held by the module handling it. The connection holds it itself
  // only until the handler has it (a buffered body), or for a response of its own (404, 405,
  // OPTIONS), given once the request is read.
  std::weak_ptr<Exchange> exchange_;
  std::shared_ptr<Exchange> held_;
  const HttpRoute* route_ = nullptr;
  std::optional<HttpResponse> own_response_;
  std::string upgrade_response_;    // a WebSocket handshake accepted: the 101 to send
  bool awaiting_response_ = false;  // from a request's head until its response is complete
  bool next_after_write_ = false;   // the next request waits for this response to be written
  bool request_complete_ = false;   // the parser read all of it
  std::uint64_t requests_ = 0;
  std::uint64_t accepted_ms_ = 0;
  std::string close_reason_;
  bool reading_ = false;
  bool processing_ = false;  // inside process_input (callbacks must not re-enter it)
  bool writing_ = false;
  bool closing_ = false;    // no more requests; closes once output is written
  bool lingering_ = false;  // shut down; draining the peer
  bool handle_closing_ = false;
};

}  // namespace tern::core::http
