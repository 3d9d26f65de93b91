// SPDX-License-Identifier: MIT
#include "core/http/exchange.h"

#include <http_parser.h>

#include <ctime>

#include "core/http/http_connection.h"
#include "log/logger.h"

namespace tern::core::http {
namespace {

const log::Logger kLog("http");

// RFC 9110 §5.6.7 IMF-fixdate of now: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[40];
  const std::size_t size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, size);
}

bool is_own_header(std::string_view name) {
  auto equal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      char x = a[i];
      if (x >= 'A' && x <= 'Z') {
        x = static_cast<char>(x - 'A' + 'a');
      }
      if (x != b[i]) {
        return false;
      }
    }
    return true;
  };
  return equal(name, "content-length") || equal(name, "connection") ||
         equal(name, "transfer-encoding") || equal(name, "date");
}

}  // namespace

std::string_view reason_phrase(int status) {
  const char* phrase = http_status_str(static_cast<http_status>(status));
  return phrase != nullptr ? std::string_view(phrase) : std::string_view("Unknown");
}

std::string serialize_head(int status, const std::vector<HttpHeader>& headers,
                           std::uint64_t content_length, bool keep_alive) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += reason_phrase(status);
  head += "\r\nDate: ";
  head += http_date();
  head += "\r\n";
  for (const HttpHeader& h : headers) {
    // The server's own, and nothing that could split the response: a module's value with a line
    // break is a bug that must not become header injection.
    if (is_own_header(h.name) || h.name.find_first_of("\r\n:") != std::string::npos ||
        h.value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  // 1xx, 204 and 304 carry no Content-Length (RFC 9110 §8.6).
  if (status >= 200 && status != 204 && status != 304) {
    head += "Content-Length: ";
    head += std::to_string(content_length);
    head += "\r\n";
  }
  head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return head;
}

Exchange::Exchange(HttpConnection& connection, HttpRequest request,
                   std::vector<HttpHeader> cors_headers)
    : connection_(&connection),
      request_(std::move(request)),
      cors_headers_(std::move(cors_headers)) {}

Exchange::~Exchange() {
  if (connection_ == nullptr) {
    return;
  }
  if (!responded_) {
    kLog.error("http.unanswered", "a request was dropped unanswered: 500 sent",
               {{"method", request_.method}, {"path", request_.path}});
    respond(HttpResponse::text(500, "Internal Server Error\n"));
  } else if (!finished_) {
    // A streamed response the module gave up on: its length can no longer be kept, so the
    // connection ends (the client sees the body cut short).
    connection_->abort("response cut short");
  }
}

void Exchange::send_head(HttpResponse& head, std::uint64_t content_length) {
  responded_ = true;
  for (HttpHeader& h : cors_headers_) {
    head.headers.push_back(std::move(h));
  }
  // Whether the connection can carry another request is known only now (was the body read?),
  // and a response announcing keep-alive must not then close: so keep-alive is promised only
  // when the whole request has been read.
  const bool keep_alive = body_done_ && connection_->parser_.keep_alive() && !connection_->closing_;
  connection_->write(serialize_head(head.status, head.headers, content_length, keep_alive));
  if (connection_ != nullptr && !keep_alive) {  // a failed write ends the connection (detach)
    connection_->closing_ = true;
  }
}

namespace {

// RFC 9110 §6.4.1: these responses have no content, whatever a module puts in them.
bool bodiless(int status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

void Exchange::respond(HttpResponse response) {
  if (connection_ == nullptr || responded_) {
    return;
  }
  if (bodiless(response.status)) {
    response.body.clear();
  }
  const std::uint64_t size = response.body.size();
  send_head(response, size);
  if (connection_ != nullptr && request_.method != "HEAD" && !response.body.empty()) {
    connection_->write(response.body);
  }
  if (connection_ != nullptr) {
    finish();
  }
}

void Exchange::respond_head(HttpResponse head, std::uint64_t content_length) {
  if (connection_ == nullptr || responded_) {
    return;
  }
  send_head(head, content_length);
  body_left_ = request_.method == "HEAD" || bodiless(head.status) ? 0 : content_length;
  if (connection_ != nullptr && body_left_ == 0) {
    finish();
  }
}

void Exchange::write_body(std::string bytes, std::function<void(bool ok)> written) {
  if (connection_ == nullptr || !responded_ || finished_ || bytes.size() > body_left_) {
    if (written) {
      written(false);
    }
    return;
  }
  body_left_ -= bytes.size();
  connection_->write(bytes, std::move(written));
  if (connection_ != nullptr && body_left_ == 0) {
    finish();
  }
}

void Exchange::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  HttpConnection* connection = connection_;
  // The exchange is over: its callbacks (and what they hold: a module's state that holds this
  // exchange) go now. Answered before its body was read, the connection reads no more of it
  // and will close: the exchange lets go of it too.
  on_data_ = nullptr;
  on_end_ = nullptr;
  const bool body_done = body_done_;
  if (!body_done) {
    connection_ = nullptr;
  }
  connection->response_done(body_done);
}

void Exchange::read_body(std::function<void(std::string_view data)> on_data,
                         std::function<void(bool complete)> on_end) {
  if (connection_ == nullptr || on_data_) {
    if (on_end && connection_ == nullptr) {
      on_end(false);
    }
    return;
  }
  on_data_ = std::move(on_data);
  on_end_ = std::move(on_end);
  if (body_done_) {  // nothing to read (no body): over at once
    auto end = std::move(on_end_);
    on_data_ = nullptr;
    if (end) {
      end(true);
    }
    return;
  }
  // RFC 9110 §10.1.1: the client waits for this before it sends the body.
  if (request_.header("expect") == "100-continue" && !responded_) {
    connection_->write("HTTP/1.1 100 Continue\r\n\r\n");
  }
  connection_->body_wanted();
}

void Exchange::pause_body() {
  if (connection_ != nullptr && !body_done_) {
    connection_->pause_body();
  }
}

void Exchange::resume_body() {
  if (connection_ != nullptr && !body_done_) {
    connection_->resume_body();
  }
}

void Exchange::deliver_body(std::string_view data) {
  if (on_data_) {
    on_data_(data);
  }
}

void Exchange::body_complete() {
  body_done_ = true;
  auto end = std::move(on_end_);
  on_data_ = nullptr;
  on_end_ = nullptr;
  if (end) {
    end(true);
  }
}

void Exchange::detach() {
  connection_ = nullptr;
  auto end = std::move(on_end_);
  on_data_ = nullptr;
  on_end_ = nullptr;
  if (end && !body_done_) {
    end(false);
  }
}

}  // namespace tern::core::http
