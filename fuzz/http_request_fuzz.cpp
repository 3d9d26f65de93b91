// SPDX-License-Identifier: MIT
// Fuzz target for the HTTP service's RequestParser (core/http/request_parser.h). The first input
// byte chooses the slicing (split tokens, chunk sizes, CRLFs) and whether the sink pauses at each
// head and completion; the rest is what a client sends on one connection. Oracle: no crash, and
// every request it reports keeps the parser's promises — a path that starts with '/' (or is "*"),
// no more header fields than the limit, a body never over the limit the sink set, a body that
// arrives only between a head and its completion, and once refused, refused for good.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/request_parser.h"

namespace {

using tern::core::http::RequestLimits;
using tern::core::http::RequestParser;

constexpr std::uint64_t kBodyLimit = 4096;

class CheckingSink : public RequestParser::Sink {
 public:
  explicit CheckingSink(const RequestLimits& limits) : limits_(limits) {}
  void on_head(tern::HttpRequest request) override {
    if (in_request_ || request.path.empty() ||
        (request.path.front() != '/' && request.path != "*") ||
        request.headers.size() > limits_.max_header_fields) {
      __builtin_trap();
    }
    in_request_ = true;
    body_ = 0;
    parser->limit_body(kBodyLimit);
    if (pause_on_head) {
      parser->pause();
    }
  }
  void on_body(std::string_view data) override {
    body_ += data.size();
    if (!in_request_ || body_ > kBodyLimit) {
      __builtin_trap();
    }
  }
  void on_complete() override {
    if (!in_request_) {
      __builtin_trap();
    }
    in_request_ = false;
    if (pause_on_complete) {
      parser->pause();
    }
  }
  RequestParser* parser = nullptr;
  bool pause_on_head = false;
  bool pause_on_complete = false;

 private:
  const RequestLimits& limits_;
  bool in_request_ = false;
  std::uint64_t body_ = 0;
};

}  // namespace

// libFuzzer's entry point, named by it.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t control = data[0];
  const std::size_t slice = (control & 0x3F) + 1;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestLimits limits{512, 16, 2048};
  CheckingSink sink(limits);
  RequestParser parser(limits, sink);
  sink.parser = &parser;
  sink.pause_on_head = (control & 0x40) != 0;
  sink.pause_on_complete = (control & 0x80) != 0;
  std::string pending;
  bool refused = false;
  for (std::size_t at = 0; at < input.size();) {
    pending += input.substr(at, slice);
    at += slice;
    while (!pending.empty()) {
      auto fed = parser.feed(pending);
      if (!fed) {
        refused = true;
        break;
      }
      if (*fed > pending.size()) {
        __builtin_trap();
      }
      pending.erase(0, *fed);
      if (parser.paused()) {
        parser.resume();
      } else if (*fed == 0) {
        break;
      }
    }
    if (refused) {
      if (parser.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) {
        __builtin_trap();  // a refused connection takes nothing more
      }
      break;
    }
  }
  return 0;
}
