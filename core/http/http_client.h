// SPDX-License-Identifier: MIT
// HttpClient: one worker's outgoing HTTP/1.1 requests (ModuleContext::http_request: push to FCM,
// later SMS gateways), all on the worker's libuv loop: names resolved by c-ares (its sockets
// watched by uv_poll, its timeouts by a uv_timer), TCP by libuv, TLS by the project's transport
// with certificate and host name verification, the response parsed by http-parser. One
// connection per request, closed after it (Connection: close): these are a few requests a
// second, not a hot path. Every request has a deadline and ends with exactly one callback.
#pragma once

#include <ares.h>
#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tern/http.h"
#include "tls/tls_context.h"

namespace tern::core::http {

// A URL the client can reach: http or https, a host (name, IPv4, or [IPv6]), a port.
struct ParsedUrl {
  bool https = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" at least
};
std::optional<ParsedUrl> parse_url(std::string_view url);

class HttpClient {
 public:
  // `tls` verifies servers (TlsContext::client with system_trust); it outlives the client. At
  // most `max_in_flight` requests at once ([http] client_max_requests); more fail at once, so a
  // flood of pushes cannot take every descriptor (the caller retries later).
  HttpClient(uv_loop_t* loop, const tls::TlsContext& tls, std::size_t max_in_flight);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // From the worker's thread.
  void request(HttpClientRequest request, HttpClientDone done);
  // Fails what is in flight and closes every handle (the worker is stopping).
  void close();

  // The largest response body taken (a push service's answers are small).
  static constexpr std::size_t kMaxResponseBytes = 1 << 20;

 private:
  class Call;
  friend class Call;
  static void on_sock_state(void* data, ares_socket_t socket, int readable, int writable);
  void schedule_ares_timer();

  uv_loop_t* loop_;
  const tls::TlsContext& tls_;
  std::size_t max_in_flight_;
  ares_channel channel_ = nullptr;
  uv_timer_t ares_timer_{};
  std::map<ares_socket_t, uv_poll_t*> polls_;
  std::map<Call*, std::unique_ptr<Call>> calls_;  // in flight; a call erases itself
  bool closed_ = false;
};

}  // namespace tern::core::http
