// SPDX-License-Identifier: MIT
// RequestParser: requests from bytes in any slicing, the limits of [http] with the statuses a
// client should see, the request-smuggling refusals, chunked bodies, pausing and pipelining.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/http/request_parser.h"

namespace tern::core::http {
namespace {

class Recorder : public RequestParser::Sink {
 public:
  void on_head(HttpRequest request) override {
    heads.push_back(std::move(request));
    if (parser != nullptr) {
      parser->limit_body(body_limit);
      if (pause_on_head) {
        parser->pause();
      }
    }
  }
  void on_body(std::string_view data) override { bodies.back() += data; }
  void on_complete() override {
    ++completed;
    bodies.emplace_back();
    if (pause_on_complete && parser != nullptr) {
      parser->pause();
    }
  }
  RequestParser* parser = nullptr;
  std::uint64_t body_limit = 1 << 20;
  bool pause_on_head = false;
  bool pause_on_complete = false;
  std::vector<HttpRequest> heads;
  std::vector<std::string> bodies{std::string()};
  int completed = 0;
};

struct Parsed {
  Recorder sink;
  std::optional<Refusal> refusal;
};

RequestLimits limits() {
  return RequestLimits{256, 10, 1024};
}

// Feeds `input` in slices of `slice` bytes (resuming whenever the sink paused).
void feed_all(RequestParser& parser, Recorder& sink, std::string_view input, std::size_t slice,
              std::optional<Refusal>& refusal) {
  std::string pending;
  for (std::size_t at = 0; at < input.size() || !pending.empty();) {
    if (at < input.size()) {
      pending += input.substr(at, slice);
      at += slice;
    }
    while (!pending.empty()) {
      auto fed = parser.feed(pending);
      if (!fed) {
        refusal = fed.error();
        return;
      }
      pending.erase(0, *fed);
      if (parser.paused()) {
        parser.resume();
      } else if (*fed == 0) {
        break;
      }
    }
    (void)sink;
  }
}

Refusal refused(std::string_view input) {
  Recorder sink;
  RequestLimits l = limits();
  RequestParser parser(l, sink);
  sink.parser = &parser;
  std::optional<Refusal> refusal;
  feed_all(parser, sink, input, input.size(), refusal);
  EXPECT_TRUE(refusal.has_value()) << input;
  return refusal.value_or(Refusal{0, ""});
}

TEST(HttpRequestParser, ReadsARequestInAnySlicing) {
  const std::string input =
      "PUT /upload/a%20b/c?v2=abc HTTP/1.1\r\nHost: Example.ORG:5281\r\n"
      "Content-Type: text/plain\r\nContent-Length: 5\r\nX-Long:  padded value  \r\n\r\nhello";
  for (std::size_t slice = 1; slice <= input.size(); ++slice) {
    Recorder sink;
    RequestLimits l = limits();
    RequestParser parser(l, sink);
    sink.parser = &parser;
    std::optional<Refusal> refusal;
    feed_all(parser, sink, input, slice, refusal);
    ASSERT_FALSE(refusal) << slice << ": " << refusal->reason;
    ASSERT_EQ(sink.heads.size(), 1U) << slice;
    const HttpRequest& r = sink.heads[0];
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.path, "/upload/a%20b/c");
    EXPECT_EQ(r.query, "v2=abc");
    EXPECT_EQ(r.host, "example.org");
    EXPECT_EQ(r.content_length, 5);
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(r.header("content-type"), "text/plain");
    EXPECT_EQ(r.header("x-long"), "padded value");
    EXPECT_EQ(sink.bodies[0], "hello");
    EXPECT_EQ(sink.completed, 1);
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(HttpRequestParser, ChunkedBodiesAreReassembled) {
  const std::string input =
      "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (std::size_t slice : {1UL, 7UL, input.size()}) {
    Recorder sink;
    RequestLimits l = limits();
    RequestParser parser(l, sink);
    sink.parser = &parser;
    std::optional<Refusal> refusal;
    feed_all(parser, sink, input, slice, refusal);
    ASSERT_FALSE(refusal) << refusal->reason;
    EXPECT_TRUE(sink.heads.at(0).chunked);
    EXPECT_EQ(sink.heads[0].content_length, -1);
    EXPECT_EQ(sink.bodies[0], "abc0123456789abcdef");
  }
}

TEST(HttpRequestParser, AmbiguousAndMalformedRequestsAreRefused) {
  // Request smuggling: a proxy and the server must never disagree on where a request ends.
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .status,
            400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 4\r\n\r\n0\r\n\r\n")
                .status,
            400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n")
                .status,
            400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n").status, 400);
  EXPECT_EQ(refused("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status,
            400);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(refused("GET nopath HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
  EXPECT_EQ(refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n").status, 505);
  EXPECT_EQ(refused("BREW / HTTP/1.1\r\nHost: a\r\n\r\n").status, 501);
  EXPECT_EQ(refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").status, 400);  // TLS on plain
}

TEST(HttpRequestParser, LimitsAreEnforcedWithTheirStatus) {
  EXPECT_EQ(refused("GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n").status, 414);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 10; ++i) {
    many += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(refused(many + "\r\n").status, 431);
  EXPECT_EQ(
      refused("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n").status,
      431);
  // A chunked body past the route's limit (the sink set 1 MiB; here 8 bytes).
  Recorder sink;
  sink.body_limit = 8;
  RequestLimits l = limits();
  RequestParser parser(l, sink);
  sink.parser = &parser;
  std::optional<Refusal> refusal;
  feed_all(parser, sink,
           "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n"
           "5\r\nfghij\r\n0\r\n\r\n",
           1000, refusal);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 413);
  // Refused stays refused.
  auto again = parser.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().status, 413);
}

TEST(HttpRequestParser, PausingKeepsTheRestForLater) {
  Recorder sink;
  sink.pause_on_complete = true;
  RequestLimits l = limits();
  RequestParser parser(l, sink);
  sink.parser = &parser;
  const std::string two =
      "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok";
  auto fed = parser.feed(two);
  ASSERT_TRUE(fed);
  EXPECT_EQ(sink.heads.size(), 1U);  // the second waits
  EXPECT_TRUE(parser.paused());
  EXPECT_EQ(parser.feed(two.substr(*fed)).value(), 0U);  // paused: takes nothing
  parser.resume();
  auto rest = parser.feed(two.substr(*fed));
  ASSERT_TRUE(rest);
  EXPECT_EQ(*fed + *rest, two.size());
  ASSERT_EQ(sink.heads.size(), 2U);
  EXPECT_EQ(sink.heads[1].path, "/b");
  EXPECT_EQ(sink.bodies[1], "ok");
}

TEST(HttpRequestParser, PausingAtTheHeadHoldsTheBody) {
  Recorder sink;
  sink.pause_on_head = true;
  RequestLimits l = limits();
  RequestParser parser(l, sink);
  sink.parser = &parser;
  const std::string input = "PUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
  auto fed = parser.feed(input);
  ASSERT_TRUE(fed);
  EXPECT_EQ(sink.bodies[0], "");
  EXPECT_TRUE(parser.in_body());
  parser.resume();
  auto rest = parser.feed(input.substr(*fed));
  ASSERT_TRUE(rest);
  EXPECT_EQ(sink.bodies[0], "body");
  EXPECT_EQ(sink.completed, 1);
}

TEST(HttpRequestParser, ConnectionCloseAndHttp10EndTheConnection) {
  for (std::string_view input :
       {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"}) {
    Recorder sink;
    RequestLimits l = limits();
    RequestParser parser(l, sink);
    sink.parser = &parser;
    ASSERT_TRUE(parser.feed(input));
    EXPECT_EQ(sink.completed, 1);
    EXPECT_FALSE(parser.keep_alive()) << input;
  }
}

}  // namespace
}  // namespace tern::core::http
