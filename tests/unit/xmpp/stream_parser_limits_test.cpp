// SPDX-License-Identifier: MIT
// StreamParser limits: each one is enforced as policy-violation, each one is configurable, and
// input just inside a limit passes.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/stream_parser.h"

namespace tern::xmpp {
namespace {

using testing::feed_in_chunks;
using testing::kClientHeader;
using testing::RecordingSink;

struct Outcome {
  std::size_t stanzas;
  std::optional<StreamError> error;
};

Outcome run(const ParserLimits& limits, const std::string& body, std::size_t chunk = 0) {
  RecordingSink sink;
  ParserOptions options;
  options.limits = limits;
  StreamParser parser(sink, options);
  feed_in_chunks(parser, std::string(kClientHeader) + body, chunk);
  return {sink.stanzas.size(), sink.error};
}

std::string message_of_size(std::size_t total) {
  std::string open = "<message><body>";
  std::string close = "</body></message>";
  return open + std::string(total - open.size() - close.size(), 'x') + close;
}

TEST(ParserLimits, StanzaSizeLimitIsExactAtEmission) {
  ParserLimits limits;
  limits.max_stanza_bytes = 1000;
  for (std::size_t chunk : {0U, 1U, 100U}) {
    Outcome ok = run(limits, message_of_size(1000), chunk);
    EXPECT_EQ(ok.stanzas, 1U);
    EXPECT_FALSE(ok.error.has_value());
    Outcome big = run(limits, message_of_size(1001), chunk);
    EXPECT_EQ(big.stanzas, 0U);
    ASSERT_TRUE(big.error.has_value());
    EXPECT_EQ(big.error->condition, StreamCondition::PolicyViolation);
  }
}

TEST(ParserLimits, OversizeStanzaIsRefusedBeforeItEnds) {
  // A never-ending stanza must fail once it is past the limit, not buffer forever.
  ParserLimits limits;
  limits.max_stanza_bytes = 64 * 1024;
  RecordingSink sink;
  ParserOptions options;
  options.limits = limits;
  StreamParser parser(sink, options);
  parser.feed(std::string(kClientHeader) + "<message><body>");
  std::string filler(4096, 'y');
  int fed = 0;
  while (!parser.failed() && fed < 1000) {
    parser.feed(filler);
    ++fed;
  }
  ASSERT_TRUE(sink.error.has_value());
  EXPECT_EQ(sink.error->condition, StreamCondition::PolicyViolation);
  EXPECT_LE(static_cast<std::size_t>(fed) * filler.size(), limits.max_stanza_bytes + 32 * 1024);
}

TEST(ParserLimits, DepthLimit) {
  ParserLimits limits;
  limits.max_depth = 5;
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) {
      s += "<a>";
    }
    for (int i = 0; i < depth; ++i) {
      s += "</a>";
    }
    return s;
  };
  EXPECT_FALSE(run(limits, nested(5)).error.has_value());
  Outcome deep = run(limits, nested(6));
  ASSERT_TRUE(deep.error.has_value());
  EXPECT_EQ(deep.error->condition, StreamCondition::PolicyViolation);
}

TEST(ParserLimits, DeepNestingAttackFailsFastWithDefaults) {
  std::string attack;
  for (int i = 0; i < 100000; ++i) {
    attack += "<a>";
  }
  Outcome out = run(ParserLimits{}, attack);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->condition, StreamCondition::PolicyViolation);
}

TEST(ParserLimits, AttributeCountLimit) {
  ParserLimits limits;
  limits.max_attributes = 3;
  EXPECT_FALSE(run(limits, "<message a='1' b='2' c='3'/>").error.has_value());
  Outcome many = run(limits, "<message a='1' b='2' c='3' d='4'/>");
  ASSERT_TRUE(many.error.has_value());
  EXPECT_EQ(many.error->condition, StreamCondition::PolicyViolation);
}

TEST(ParserLimits, TextRunLimit) {
  ParserLimits limits;
  limits.max_text_bytes = 100;
  EXPECT_FALSE(run(limits, "<message><body>" + std::string(100, 'z') + "</body></message>")
                   .error.has_value());
  Outcome long_text =
      run(limits, "<message><body>" + std::string(101, 'z') + "</body></message>", 7);
  ASSERT_TRUE(long_text.error.has_value());
  EXPECT_EQ(long_text.error->condition, StreamCondition::PolicyViolation);
}

TEST(ParserLimits, HugeStartTagTripsTheTokenGuard) {
  // CVE-2023-52425: an unfinished start tag dribbled in small pieces. The guard stops it after
  // max_token_bytes, long before the stanza limit.
  ParserLimits limits;
  limits.max_token_bytes = 8 * 1024;
  limits.max_stanza_bytes = 1024 * 1024;
  RecordingSink sink;
  ParserOptions options;
  options.limits = limits;
  StreamParser parser(sink, options);
  parser.feed(std::string(kClientHeader) + "<message id='");
  std::size_t fed = 0;
  while (!parser.failed() && fed < limits.max_stanza_bytes) {
    parser.feed(std::string(64, 'q'));
    fed += 64;
  }
  ASSERT_TRUE(sink.error.has_value());
  EXPECT_EQ(sink.error->condition, StreamCondition::PolicyViolation);
  EXPECT_LE(fed, limits.max_token_bytes + 64);
}

TEST(ParserLimits, LongTextDoesNotTripTheTokenGuard) {
  // Character data is reported as it arrives, so a long body is no "token".
  ParserLimits limits;
  limits.max_token_bytes = 1024;
  limits.max_stanza_bytes = 256 * 1024;
  Outcome out =
      run(limits, "<message><body>" + std::string(100000, 'w') + "</body></message>", 512);
  EXPECT_FALSE(out.error.has_value());
  EXPECT_EQ(out.stanzas, 1U);
}

}  // namespace
}  // namespace tern::xmpp
