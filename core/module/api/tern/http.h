// SPDX-License-Identifier: MIT
// The HTTP service as modules see it (docs/http.md): a module adds routes with
// ModuleContext::on_http, the way it adds IQ handlers, and answers each request through an
// HttpExchange. The server parses requests (Debian's http-parser), enforces the limits and
// timeouts of [http], keeps connections alive, answers CORS preflights for routes that ask for
// CORS, and writes responses; a module only decides what a request means.
//
//   ctx.on_http({.path = "/hello", .methods = {"GET"}, .handler = [](const auto& exchange) {
//     exchange->respond(HttpResponse::text(200, "hello\n"));
//   }});
//
// Rules:
//   - Exactly one response per exchange: respond(), or respond_head() and write_body() until
//     Content-Length bytes are written. An exchange dropped unanswered gets 500.
//   - Handlers and every exchange call run on the worker the request came in on (the module's
//     own); a completion from elsewhere comes back with ModuleContext::post or offload.
//   - Calls on the exchange of a connection that has ended do nothing (closed() tells).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

struct HttpHeader {
  std::string name;  // requests: lower case (header names are case-insensitive, RFC 9110 §5.1)
  std::string value;
};

struct HttpRequest {
  std::string method;  // "GET", as sent (methods are case-sensitive)
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // after '?', without it
  std::vector<HttpHeader> headers;
  std::string host;     // the Host header in lower case without its port (empty: none)
  std::string peer;     // the client's IP address
  bool secure = false;  // came over TLS
  // The body's announced size; -1 when chunked (unknown until the end) or, for 0, no body.
  std::int64_t content_length = 0;
  bool chunked = false;
  // The whole body, for routes that do not stream it (HttpRoute::stream_body false).
  std::string body;

  // The first value of a header (name in lower case); empty when absent.
  std::string_view header(std::string_view lower_name) const {
    for (const HttpHeader& h : headers) {
      if (h.name == lower_name) {
        return h.value;
      }
    }
    return {};
  }
  bool has_header(std::string_view lower_name) const {
    for (const HttpHeader& h : headers) {
      if (h.name == lower_name) {
        return true;
      }
    }
    return false;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<HttpHeader> headers;  // Content-Length and Connection are the server's
  std::string body;

  HttpResponse& header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  // A short plain-text answer (errors): "413 Payload Too Large\n" plus the reason.
  static HttpResponse text(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.header("Content-Type", "text/plain; charset=utf-8");
    return response;
  }
};

// One request and its response.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Whether the connection ended (nothing more can be read or written).
  virtual bool closed() const = 0;
  // Whether the response has been started.
  virtual bool responded() const = 0;

  // The whole response; the server adds Content-Length (and writes no body for HEAD).
  virtual void respond(HttpResponse response) = 0;

  // A streamed response: the head announcing `content_length` bytes, then write_body() until
  // they are all written. `written(true)` runs once the bytes reached the kernel (so a module
  // reads its next slice only then: memory stays bounded), `written(false)` if the connection
  // ended first. For HEAD, respond_head() is the whole response.
  virtual void respond_head(HttpResponse head, std::uint64_t content_length) = 0;
  virtual void write_body(std::string bytes, std::function<void(bool ok)> written) = 0;

  // Streamed request bodies (HttpRoute::stream_body): the body is not read until the handler
  // asks. `on_data` gets each piece as it arrives (valid during the call), `on_end(true)` runs
  // after the last, `on_end(false)` if the connection ended, the body broke a limit or timed
  // out. A client that sent "Expect: 100-continue" is told to go on now.
  virtual void read_body(std::function<void(std::string_view data)> on_data,
                         std::function<void(bool complete)> on_end) = 0;
  // Stops reading the body (the socket too) until resume_body(): while a slice is written to
  // disk, say.
  virtual void pause_body() = 0;
  virtual void resume_body() = 0;
};

using HttpHandler = std::function<void(const std::shared_ptr<HttpExchange>& exchange)>;

struct HttpRoute {
  // "/upload/" matches every path under it; a path not ending in '/' matches only itself. The
  // longest matching route of the request's host wins.
  std::string path;
  // Methods it answers ("GET", "PUT"…); others get 405 with Allow. HEAD goes with GET.
  std::vector<std::string> methods;
  // The largest body accepted (413 past it); 0: no body. Capped by [http] max_body_bytes for
  // buffered bodies.
  std::uint64_t max_body_bytes = 0;
  // false: the handler runs once the whole body is in HttpRequest::body; true: at the end of the
  // headers, and it reads the body with HttpExchange::read_body.
  bool stream_body = false;
  // Cross-origin requests from web clients (CORS): the server answers OPTIONS preflights and adds
  // Access-Control-Allow-Origin for the origins of [http] cors_origins.
  bool cors = false;
  HttpHandler handler;
};

// An outgoing request (ModuleContext::http_request): push services, SMS gateways. One connection
// per request (Connection: close); https is verified against the system's trust store and
// [http] client_trust_file; names are resolved with c-ares; nothing blocks the worker.
struct HttpClientRequest {
  std::string method = "POST";
  std::string url;  // "https://fcm.googleapis.com/v1/…", "http://127.0.0.1:8080/…"
  std::vector<HttpHeader> headers;  // Host, Content-Length and Connection are the client's
  std::string body;
  std::uint64_t timeout_ms = 10000;  // the whole exchange, connect to last byte
};

struct HttpClientResponse {
  int status = 0;                   // 0: no response (see error)
  std::vector<HttpHeader> headers;  // names in lower case
  std::string body;
  std::string error;  // why there is no response: DNS, connect, TLS, timeout, a broken reply
  std::string_view header(std::string_view lower_name) const {
    for (const HttpHeader& h : headers) {
      if (h.name == lower_name) {
        return h.value;
      }
    }
    return {};
  }
};

// Called once, on the worker that made the request.
using HttpClientDone = std::function<void(HttpClientResponse response)>;

}  // namespace tern
