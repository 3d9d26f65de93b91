// SPDX-License-Identifier: MIT
#include "core/http/http_client.h"

#include <http_parser.h>
#include <netdb.h>

#include <array>
#include <cstring>
#include <mutex>
#include <vector>

#include "log/logger.h"
#include "tls/tls_transport.h"

namespace tern::core::http {
namespace {

const log::Logger kLog("http");
thread_local std::array<char, std::size_t{64} * 1024> t_read_buffer;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool header_safe(std::string_view text) {
  return text.find_first_of("\r\n") == std::string::npos;
}

}  // namespace

std::optional<ParsedUrl> parse_url(std::string_view url) {
  ParsedUrl parsed;
  if (url.starts_with("https://")) {
    parsed.https = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  parsed.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return std::nullopt;  // no user info: credentials go in headers
  }
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (parsed.host.empty() || !header_safe(parsed.host) || !header_safe(parsed.target) ||
      parsed.target.find(' ') != std::string::npos) {
    return std::nullopt;
  }
  if (port.empty()) {
    parsed.port = parsed.https ? "443" : "80";
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    parsed.port = std::string(port);
  }
  return parsed;
}

// One request: resolve, connect (each address in turn), TLS, send, read the response, done.
class HttpClient::Call {
 public:
  Call(HttpClient& client, HttpClientRequest request, HttpClientDone done)
      : client_(client), request_(std::move(request)), done_(std::move(done)) {}

  void start() {
    uv_timer_init(client_.loop_, &timer_);
    timer_.data = this;
    ++handles_;
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<Call*>(t->data)->fail("timeout"); },
        request_.timeout_ms, 0);
    auto url = parse_url(request_.url);
    if (!url) {
      return fail("not an http or https URL: " + request_.url);
    }
    url_ = std::move(*url);
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_NUMERICSERV;
    resolving_ = true;
    ares_getaddrinfo(client_.channel_, url_.host.c_str(), url_.port.c_str(), &hints,
                     &Call::on_resolved, this);
    client_.schedule_ares_timer();
  }

  void fail(std::string error) {
    HttpClientResponse failed;
    failed.error = std::move(error);
    finish(std::move(failed));
  }

 private:
  static void on_resolved(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto* self = static_cast<Call*>(arg);
    self->resolving_ = false;
    if (status == ARES_SUCCESS && result != nullptr) {
      for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
        sockaddr_storage address{};
        std::memcpy(&address, n->ai_addr, std::min<std::size_t>(n->ai_addrlen, sizeof address));
        self->addresses_.push_back(address);
      }
    }
    if (result != nullptr) {
      ares_freeaddrinfo(result);
    }
    if (self->finished_) {
      return self->maybe_release();
    }
    if (self->addresses_.empty()) {
      return self->fail("cannot resolve " + self->url_.host + ": " + ares_strerror(status));
    }
    self->connect_next();
  }

  void connect_next() {
    if (next_address_ >= addresses_.size()) {
      return fail("cannot connect to " + url_.host + ":" + url_.port + ": " + connect_error_);
    }
    if (tcp_open_) {
      // The previous address failed: a new handle for the next one.
      tcp_open_ = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
        auto* self = static_cast<Call*>(h->data);
        --self->handles_;
        if (!self->finished_) {
          self->connect_next();
        } else {
          self->maybe_release();
        }
      });
      return;
    }
    const sockaddr_storage& address = addresses_[next_address_++];
    uv_tcp_init(client_.loop_, &tcp_);
    tcp_.data = this;
    tcp_open_ = true;
    ++handles_;
    connect_.data = this;
    if (const int r = uv_tcp_connect(&connect_, &tcp_, reinterpret_cast<const sockaddr*>(&address),
                                     &Call::on_connected);
        r != 0) {
      connect_error_ = uv_strerror(r);
      return connect_next();
    }
  }

  static void on_connected(uv_connect_t* request, int status) {
    auto* self = static_cast<Call*>(request->data);
    if (self->finished_) {
      return;
    }
    if (status != 0) {
      self->connect_error_ = uv_strerror(status);
      return self->connect_next();
    }
    if (self->url_.https) {
      auto tls = tls::TlsTransport::client(self->client_.tls_, self->url_.host);
      if (!tls) {
        return self->fail("TLS: " + tls.error().message);
      }
      self->transport_ = std::move(tls).value();
    } else {
      self->transport_ = std::make_unique<tls::PlainTransport>();
    }
    if (auto started = self->transport_->start(self->wire_out_); !started) {
      return self->fail("TLS: " + started.error().message);
    }
    self->send_request();
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&self->tcp_),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
          *buf = uv_buf_init(t_read_buffer.data(), static_cast<unsigned>(t_read_buffer.size()));
        },
        &Call::on_read);
    self->flush();
  }

  void send_request() {
    std::string head = request_.method + " " + url_.target + " HTTP/1.1\r\nHost: " + url_.host;
    if (url_.port != (url_.https ? "443" : "80")) {
      head += ":" + url_.port;
    }
    head +=
        "\r\nConnection: close\r\nContent-Length: " + std::to_string(request_.body.size()) + "\r\n";
    for (const HttpHeader& h : request_.headers) {
      if (header_safe(h.name) && header_safe(h.value)) {
        head += h.name + ": " + h.value + "\r\n";
      }
    }
    head += "\r\n";
    if (!transport_->send(head, wire_out_) || !transport_->send(request_.body, wire_out_)) {
      return fail("TLS: cannot send");
    }
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      auto* self = static_cast<Call*>(p->data);
      auto& headers = self->response_.headers;
      if (headers.empty() || self->in_value_) {
        headers.emplace_back();
        self->in_value_ = false;
      }
      for (std::size_t i = 0; i < n; ++i) {
        headers.back().name += lower(at[i]);
      }
      return 0;
    };
    settings_.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      auto* self = static_cast<Call*>(p->data);
      self->response_.headers.back().value.append(at, n);
      self->in_value_ = true;
      return 0;
    };
    settings_.on_body = [](http_parser* p, const char* at, std::size_t n) {
      auto* self = static_cast<Call*>(p->data);
      if (self->response_.body.size() + n > kMaxResponseBytes) {
        return -1;
      }
      self->response_.body.append(at, n);
      return 0;
    };
    settings_.on_message_complete = [](http_parser* p) {
      auto* self = static_cast<Call*>(p->data);
      self->response_.status = static_cast<int>(p->status_code);
      self->complete_ = true;
      http_parser_pause(p, 1);
      return 0;
    };
  }

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<Call*>(stream->data);
    if (self->finished_) {
      return;
    }
    if (nread < 0) {
      // EOF: a response without a length ends here (http-parser is told with an empty feed).
      http_parser_execute(&self->parser_, &self->settings_, nullptr, 0);
      if (self->complete_) {
        return self->finish(std::move(self->response_));
      }
      return self->fail(nread == UV_EOF ? "the connection closed before the response ended"
                                        : uv_strerror(static_cast<int>(nread)));
    }
    self->plaintext_.clear();
    auto received =
        self->transport_->on_received(std::string_view(buf->base, static_cast<std::size_t>(nread)),
                                      self->plaintext_, self->wire_out_);
    if (!received) {
      return self->fail("TLS: " + received.error().message);
    }
    if (!self->plaintext_.empty()) {
      http_parser_execute(&self->parser_, &self->settings_, self->plaintext_.data(),
                          self->plaintext_.size());
      if (self->complete_) {
        return self->finish(std::move(self->response_));
      }
      if (HTTP_PARSER_ERRNO(&self->parser_) != HPE_OK) {
        return self->fail(std::string("a broken response: ") +
                          http_errno_description(HTTP_PARSER_ERRNO(&self->parser_)));
      }
    }
    self->flush();
  }

  void flush() {
    if (writing_ || wire_out_.empty() || finished_) {
      return;
    }
    in_flight_.swap(wire_out_);
    wire_out_.clear();
    uv_buf_t buf = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
    write_.data = this;
    writing_ = true;
    if (uv_write(&write_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                 [](uv_write_t* w, int status) {
                   auto* self = static_cast<Call*>(w->data);
                   self->writing_ = false;
                   if (status != 0 && !self->finished_) {
                     return self->fail(uv_strerror(status));
                   }
                   if (self->finished_) {
                     return self->maybe_release();
                   }
                   self->flush();
                 }) != 0) {
      writing_ = false;
      fail("write failed");
    }
  }

  void finish(HttpClientResponse response) {
    if (finished_) {
      return;
    }
    finished_ = true;
    HttpClientDone done = std::move(done_);
    uv_timer_stop(&timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Call::on_closed);
    if (tcp_open_) {
      tcp_open_ = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Call::on_closed);
    }
    if (done) {
      try {
        done(std::move(response));
      } catch (const std::exception& e) {
        kLog.error("module.exception", "an HTTP request's completion threw", {{"error", e.what()}});
      }
    }
  }

  static void on_closed(uv_handle_t* handle) {
    auto* self = static_cast<Call*>(handle->data);
    --self->handles_;
    self->maybe_release();
  }

  // Freed once nothing can call back into it: its handles closed, its write and lookup over.
  void maybe_release() {
    if (finished_ && handles_ == 0 && !resolving_ && !writing_) {
      client_.calls_.erase(this);
    }
  }

  HttpClient& client_;
  HttpClientRequest request_;
  HttpClientDone done_;
  ParsedUrl url_;
  std::vector<sockaddr_storage> addresses_;
  std::size_t next_address_ = 0;
  std::string connect_error_ = "no address";
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
  int handles_ = 0;
  bool tcp_open_ = false;
  bool resolving_ = false;
  bool writing_ = false;
  bool finished_ = false;
  std::unique_ptr<tls::Transport> transport_;
  std::string wire_out_;
  std::string in_flight_;
  std::string plaintext_;
  http_parser parser_{};
  http_parser_settings settings_{};
  HttpClientResponse response_;
  bool in_value_ = false;
  bool complete_ = false;
};

HttpClient::HttpClient(uv_loop_t* loop, const tls::TlsContext& tls, std::size_t max_in_flight)
    : loop_(loop), tls_(tls), max_in_flight_(max_in_flight) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options options{};
  options.sock_state_cb = &HttpClient::on_sock_state;
  options.sock_state_cb_data = this;
  ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB);
  uv_timer_init(loop_, &ares_timer_);
  ares_timer_.data = this;
}

HttpClient::~HttpClient() = default;

void HttpClient::request(HttpClientRequest request, HttpClientDone done) {
  if (closed_ || channel_ == nullptr || calls_.size() >= max_in_flight_) {
    HttpClientResponse failed;
    failed.error = closed_ ? "the server is stopping" : "too many requests in flight";
    if (!closed_) {
      kLog.warn("limit.refused",
                "outgoing HTTP request refused: [http] client_max_requests are in flight",
                {{"limit", max_in_flight_}});
    }
    return done(std::move(failed));
  }
  auto call = std::make_unique<Call>(*this, std::move(request), std::move(done));
  Call* raw = call.get();
  calls_.emplace(raw, std::move(call));
  raw->start();
}

void HttpClient::on_sock_state(void* data, ares_socket_t socket, int readable, int writable) {
  auto* self = static_cast<HttpClient*>(data);
  auto it = self->polls_.find(socket);
  if (readable == 0 && writable == 0) {
    if (it != self->polls_.end()) {
      uv_close(reinterpret_cast<uv_handle_t*>(it->second),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      self->polls_.erase(it);
    }
    return;
  }
  uv_poll_t* poll = nullptr;
  if (it == self->polls_.end()) {
    poll = new uv_poll_t{};
    uv_poll_init_socket(self->loop_, poll, socket);
    poll->data = self;
    self->polls_.emplace(socket, poll);
  } else {
    poll = it->second;
  }
  const int events = (readable != 0 ? UV_READABLE : 0) | (writable != 0 ? UV_WRITABLE : 0);
  uv_poll_start(poll, events, [](uv_poll_t* p, int status, int ready) {
    auto* client = static_cast<HttpClient*>(p->data);
    ares_socket_t fd = ARES_SOCKET_BAD;
    uv_fileno(reinterpret_cast<uv_handle_t*>(p), &fd);
    const bool failed = status < 0;
    ares_process_fd(client->channel_, (failed || (ready & UV_READABLE) != 0) ? fd : ARES_SOCKET_BAD,
                    (failed || (ready & UV_WRITABLE) != 0) ? fd : ARES_SOCKET_BAD);
    client->schedule_ares_timer();
  });
}

void HttpClient::schedule_ares_timer() {
  if (closed_) {
    return;
  }
  timeval max{5, 0};
  timeval wait{};
  timeval* next = ares_timeout(channel_, &max, &wait);
  const std::uint64_t ms = static_cast<std::uint64_t>(next->tv_sec) * 1000 +
                           static_cast<std::uint64_t>(next->tv_usec) / 1000;
  uv_timer_start(
      &ares_timer_,
      [](uv_timer_t* t) {
        auto* client = static_cast<HttpClient*>(t->data);
        ares_process_fd(client->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        client->schedule_ares_timer();
      },
      ms == 0 ? 1 : ms, 0);
}

void HttpClient::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  std::vector<Call*> open;
  for (auto& [raw, call] : calls_) {
    open.push_back(raw);
  }
  for (Call* call : open) {
    call->fail("the server is stopping");
  }
  // Lookups in flight end with ARES_EDESTRUCTION (their calls are finished already), and the
  // channel's sockets report closed, which closes their polls.
  ares_destroy(channel_);
  channel_ = nullptr;
  uv_timer_stop(&ares_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&ares_timer_), nullptr);
}

}  // namespace tern::core::http
