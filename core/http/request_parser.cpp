// SPDX-License-Identifier: MIT
#include "core/http/request_parser.h"

#include <algorithm>

namespace tern::core::http {
namespace {

RequestParser* self(http_parser* parser) {
  return static_cast<RequestParser*>(parser->data);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// "Example.org:5281" → "example.org", "[::1]:5281" → "::1".
std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const std::size_t end = host.find(']');
    host = end == std::string_view::npos ? host.substr(1) : host.substr(1, end - 1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// What http-parser's own errors mean to the client.
Refusal refusal_for(http_errno error) {
  switch (error) {
    case HPE_HEADER_OVERFLOW:
      return {431, "the request's header fields are too large"};
    case HPE_INVALID_VERSION:
      return {505, "only HTTP/1.0 and HTTP/1.1 are spoken here"};
    case HPE_INVALID_METHOD:
      return {501, "unknown method"};
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return {400, "Content-Length with Transfer-Encoding, or twice: ambiguous"};
    case HPE_INVALID_TRANSFER_ENCODING:
      return {400, "a request's Transfer-Encoding must end with chunked"};
    case HPE_INVALID_CHUNK_SIZE:
      return {400, "invalid chunk size"};
    case HPE_INVALID_CONTENT_LENGTH:
      return {400, "invalid Content-Length"};
    default:
      return {400, std::string("bad request: ") + http_errno_description(error)};
  }
}

}  // namespace

RequestParser::RequestParser(const RequestLimits& limits, Sink& sink)
    : limits_(limits), sink_(sink) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &RequestParser::on_message_begin;
  settings_.on_url = &RequestParser::on_url;
  settings_.on_header_field = &RequestParser::on_header_field;
  settings_.on_header_value = &RequestParser::on_header_value;
  settings_.on_headers_complete = &RequestParser::on_headers_complete;
  settings_.on_body = &RequestParser::on_body_data;
  settings_.on_message_complete = &RequestParser::on_message_complete;
}

Result<std::size_t, Refusal> RequestParser::feed(std::string_view bytes) {
  if (refused_) {
    return Err(refusal_);
  }
  if (paused_ || bytes.empty()) {
    return std::size_t{0};
  }
  const std::size_t consumed =
      http_parser_execute(&parser_, &settings_, bytes.data(), bytes.size());
  const http_errno error = HTTP_PARSER_ERRNO(&parser_);
  if (error == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);  // our own flag keeps it paused until resume()
    return consumed;
  }
  if (refused_) {
    return Err(refusal_);
  }
  if (error != HPE_OK) {
    refused_ = true;
    refusal_ = refusal_for(error);
    if (error == HPE_INVALID_METHOD && !(bytes.front() >= 'A' && bytes.front() <= 'Z')) {
      refusal_ = Refusal{400, "this is not HTTP"};  // TLS on the plain port, say: not a method
    }
    return Err(refusal_);
  }
  return consumed;
}

void RequestParser::pause() {
  paused_ = true;
  http_parser_pause(&parser_, 1);
}

void RequestParser::resume() {
  paused_ = false;
  http_parser_pause(&parser_, 0);
}

void RequestParser::refuse(int status, std::string reason) {
  (void)fail(status, std::move(reason));
}

int RequestParser::fail(int status, std::string reason) {
  refused_ = true;
  refusal_ = Refusal{status, std::move(reason)};
  return -1;  // http-parser stops with HPE_CB_*; feed() reports refusal_
}

bool RequestParser::add_header_bytes(std::size_t length) {
  header_bytes_ += length;
  return header_bytes_ <= limits_.max_header_bytes;
}

int RequestParser::on_message_begin(http_parser* parser) {
  RequestParser& p = *self(parser);
  p.request_ = HttpRequest{};
  p.target_.clear();
  p.in_value_ = false;
  p.header_bytes_ = 0;
  p.body_bytes_ = 0;
  p.max_body_bytes_ = 0;
  p.started_ = true;
  return 0;
}

int RequestParser::on_url(http_parser* parser, const char* at, std::size_t length) {
  RequestParser& p = *self(parser);
  if (p.target_.size() + length > p.limits_.max_target_bytes) {
    return p.fail(414, "the request target is longer than " +
                           std::to_string(p.limits_.max_target_bytes) + " bytes");
  }
  p.target_.append(at, length);
  return 0;
}

int RequestParser::on_header_field(http_parser* parser, const char* at, std::size_t length) {
  RequestParser& p = *self(parser);
  if (p.in_value_ || p.request_.headers.empty()) {
    if (p.request_.headers.size() == p.limits_.max_header_fields) {
      return p.fail(431,
                    "more than " + std::to_string(p.limits_.max_header_fields) + " header fields");
    }
    p.request_.headers.emplace_back();
    p.in_value_ = false;
  }
  if (!p.add_header_bytes(length)) {
    return p.fail(
        431, "header fields larger than " + std::to_string(p.limits_.max_header_bytes) + " bytes");
  }
  std::string& name = p.request_.headers.back().name;
  for (std::size_t i = 0; i < length; ++i) {
    name += lower(at[i]);
  }
  return 0;
}

int RequestParser::on_header_value(http_parser* parser, const char* at, std::size_t length) {
  RequestParser& p = *self(parser);
  if (!p.add_header_bytes(length)) {
    return p.fail(
        431, "header fields larger than " + std::to_string(p.limits_.max_header_bytes) + " bytes");
  }
  p.request_.headers.back().value.append(at, length);
  p.in_value_ = true;
  return 0;
}

bool RequestParser::finish_head() {
  HttpRequest& r = request_;
  if (parser_.http_major != 1) {
    fail(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    return false;
  }
  int hosts = 0;
  bool content_length = false;
  for (HttpHeader& h : r.headers) {
    h.value = std::string(trim(h.value));
    if (h.name == "host") {
      ++hosts;
    } else if (h.name == "content-length") {
      content_length = true;
    }
  }
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  if (hosts > 1 || (hosts == 0 && parser_.http_minor >= 1)) {
    fail(400, hosts > 1 ? "more than one Host header" : "no Host header");
    return false;
  }
  // RFC 9112 §6.1: Content-Length with Transfer-Encoding is how requests are smuggled past
  // a proxy; http-parser refuses it too, this says so whatever its version.
  r.chunked = (parser_.flags & F_CHUNKED) != 0;
  if (r.chunked && content_length) {
    fail(400, "Content-Length with Transfer-Encoding: ambiguous");
    return false;
  }
  r.method = http_method_str(static_cast<http_method>(parser_.method));
  std::string_view target = target_;
  // The absolute form (RFC 9112 §3.2.2), which a server must accept: its path counts.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      target.remove_prefix(scheme.size());
      const std::size_t slash = target.find('/');
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  if (target.empty() || (target.front() != '/' && target != "*")) {
    fail(400, "the request target must be a path");
    return false;
  }
  const std::size_t question = target.find('?');
  r.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    r.query = std::string(target.substr(question + 1));
  }
  r.host = host_without_port(r.header("host"));
  r.content_length = r.chunked ? -1
                               : ((parser_.flags & F_CONTENTLENGTH) != 0
                                      ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                            parser_.content_length, std::uint64_t{1} << 62))
                                      : 0);
  keep_alive_ = http_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0 &&
                (parser_.flags & F_UPGRADE) == 0;
  return true;
}

int RequestParser::on_headers_complete(http_parser* parser) {
  RequestParser& p = *self(parser);
  if (!p.finish_head()) {
    return -1;
  }
  p.in_body_ = true;
  p.sink_.on_head(std::move(p.request_));
  if (p.refused_) {
    return -1;
  }
  return 0;
}

int RequestParser::on_body_data(http_parser* parser, const char* at, std::size_t length) {
  RequestParser& p = *self(parser);
  p.body_bytes_ += length;
  if (p.body_bytes_ > p.max_body_bytes_) {
    return p.fail(413, "the body is larger than " + std::to_string(p.max_body_bytes_) + " bytes");
  }
  p.sink_.on_body(std::string_view(at, length));
  return 0;
}

int RequestParser::on_message_complete(http_parser* parser) {
  RequestParser& p = *self(parser);
  p.in_body_ = false;
  p.started_ = false;
  p.sink_.on_complete();
  return 0;
}

}  // namespace tern::core::http
