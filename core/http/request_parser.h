// SPDX-License-Identifier: MIT
// RequestParser: HTTP/1.1 requests from a byte stream, through Debian's http-parser (the
// grammar, chunked bodies, Content-Length arithmetic and the request-smuggling checks are its
// work), with the limits of [http] on top: the request target, the number and total size of
// header fields, the body. No I/O: the connection feeds it bytes and gets events (tested and
// fuzzed without sockets).
//
// A request is refused with the status a client should see: 400 for what is not HTTP (or is
// ambiguous: both Content-Length and Transfer-Encoding, two Hosts, no Host in HTTP/1.1), 414 for
// a long target, 431 for too many or too large header fields, 413 for a body over the limit, 501
// for a transfer coding other than chunked, 505 for a version other than 1.x. After a refusal
// the parser takes nothing more: the connection answers and closes.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tern/http.h"
#include "xmpp/result.h"

namespace tern::core::http {

struct RequestLimits {
  std::size_t max_target_bytes = 8192;
  std::size_t max_header_fields = 100;
  std::size_t max_header_bytes = 16384;  // names and values of all fields together
};

struct Refusal {
  int status = 400;
  std::string reason;  // for the client and the log
};

class RequestParser {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // The request line and headers. Its body limit is set with limit_body() from here (the
    // route decides it); the sink may pause().
    virtual void on_head(HttpRequest request) = 0;
    virtual void on_body(std::string_view data) = 0;
    virtual void on_complete() = 0;
  };

  RequestParser(const RequestLimits& limits, Sink& sink);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses as much of `bytes` as it can: the count consumed (less than all when a sink callback
  // paused it; the rest is fed again after resume()), or why the request is refused.
  Result<std::size_t, Refusal> feed(std::string_view bytes);
  // From a sink callback: feed() returns right after it. Outside one: the next feed() takes
  // nothing until resume().
  void pause();
  void resume();
  bool paused() const { return paused_; }
  // The current request's body limit, set by on_head (the route decides it); a body growing past
  // it is refused with 413. (A Content-Length over it is the sink's to refuse, in on_head.)
  void limit_body(std::uint64_t max_bytes) { max_body_bytes_ = max_bytes; }
  // From on_head: refuses the request; feed() returns the refusal.
  void refuse(int status, std::string reason);
  // After on_head: whether the connection may carry another request (HTTP/1.1 without
  // "Connection: close", or 1.0 with keep-alive).
  bool keep_alive() const { return keep_alive_; }
  // Between on_head and on_complete.
  bool in_body() const { return in_body_; }
  // Whether any byte of a request not yet complete has been read (a header timeout applies).
  bool mid_request() const { return started_; }

 private:
  static int on_message_begin(http_parser* parser);
  static int on_url(http_parser* parser, const char* at, std::size_t length);
  static int on_header_field(http_parser* parser, const char* at, std::size_t length);
  static int on_header_value(http_parser* parser, const char* at, std::size_t length);
  static int on_headers_complete(http_parser* parser);
  static int on_body_data(http_parser* parser, const char* at, std::size_t length);
  static int on_message_complete(http_parser* parser);
  int fail(int status, std::string reason);
  // Checks the finished head and fills in what the sink gets; false (with refusal_) if refused.
  bool finish_head();
  bool add_header_bytes(std::size_t length);

  const RequestLimits& limits_;
  Sink& sink_;
  http_parser parser_{};
  http_parser_settings settings_{};
  HttpRequest request_;
  std::string target_;
  bool in_value_ = false;  // the last header callback was a value
  std::size_t header_bytes_ = 0;
  std::uint64_t max_body_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
  Refusal refusal_;
  bool refused_ = false;
  bool paused_ = false;
  bool keep_alive_ = true;
  bool in_body_ = false;
  bool started_ = false;
};

}  // namespace tern::core::http
