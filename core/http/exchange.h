// SPDX-License-Identifier: MIT
// Exchange: the server's HttpExchange, one request on one HttpConnection. The module that
// handles it holds it (shared_ptr); the connection only refers to it (weak_ptr), so a module
// that drops it unanswered is noticed at once: the destructor answers 500. When the connection
// ends first, it detaches the exchange, and every later call does nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tern/http.h"

namespace tern::core::http {

class HttpConnection;

// "HTTP/1.1 200 OK\r\nDate: …\r\n…Content-Length: N\r\nConnection: keep-alive\r\n\r\n".
std::string serialize_head(int status, const std::vector<HttpHeader>& headers,
                           std::uint64_t content_length, bool keep_alive);
// The reason phrase of a status ("Payload Too Large"); "Unknown" for one it does not know.
std::string_view reason_phrase(int status);

class Exchange final : public HttpExchange, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(HttpConnection& connection, HttpRequest request, std::vector<HttpHeader> cors_headers);
  ~Exchange() override;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // HttpExchange
  const HttpRequest& request() const override { return request_; }
  bool closed() const override { return connection_ == nullptr; }
  bool responded() const override { return responded_; }
  void respond(HttpResponse response) override;
  void respond_head(HttpResponse head, std::uint64_t content_length) override;
  void write_body(std::string bytes, std::function<void(bool ok)> written) override;
  void read_body(std::function<void(std::string_view data)> on_data,
                 std::function<void(bool complete)> on_end) override;
  void pause_body() override;
  void resume_body() override;

  // The connection's side.
  HttpRequest& request_for_body() { return request_; }
  bool wants_body() const { return static_cast<bool>(on_data_); }
  void deliver_body(std::string_view data);
  // The whole body has arrived.
  void body_complete();
  bool body_done() const { return body_done_; }
  // The connection ended (or broke the body): body readers hear on_end(false); calls do nothing.
  void detach();

 private:
  // Writes the head; `complete` when no body follows.
  void send_head(HttpResponse& head, std::uint64_t content_length);
  void finish();

  HttpConnection* connection_;
  HttpRequest request_;
  std::vector<HttpHeader> cors_headers_;
  std::function<void(std::string_view)> on_data_;
  std::function<void(bool)> on_end_;
  std::uint64_t body_left_ = 0;  // bytes of a streamed response still owed
  bool responded_ = false;
  bool finished_ = false;
  bool body_done_ = false;
};

}  // namespace tern::core::http
