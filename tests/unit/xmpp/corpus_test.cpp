// SPDX-License-Identifier: MIT
// Every element of the mobile traffic corpus (tests/data/mobile-stanzas.xml) parses, and
// serialize → parse gives back the same tree; the whole corpus also parses as one stream fed in
// odd chunk sizes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/serializer.h"

namespace tern::xmpp {
namespace {

std::vector<std::string> corpus_lines() {
  const char* dir = std::getenv("TERN_TEST_DATA");
  std::string path = std::string(dir != nullptr ? dir : "tests/data") + "/mobile-stanzas.xml";
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

bool is_stream_line(const std::string& line) {
  return line.starts_with("<?xml") || line.starts_with("</stream:stream");
}

TEST(Corpus, EveryStanzaParsesAndRoundTrips) {
  std::vector<std::string> lines = corpus_lines();
  ASSERT_EQ(lines.size(), 2009U) << "corpus missing: set TERN_TEST_DATA";
  std::size_t checked = 0;
  std::string out;
  for (const std::string& line : lines) {
    if (is_stream_line(line)) {
      continue;
    }
    StanzaPtr s = testing::parse_one(line);
    ASSERT_NE(s, nullptr) << line;
    out.clear();
    Serializer().write(out, s->root());
    StanzaPtr again = testing::parse_one(out);
    ASSERT_NE(again, nullptr) << out;
    ASSERT_TRUE(equal_trees(s->root(), again->root())) << line << "\n" << out;
    ++checked;
  }
  EXPECT_GT(checked, 1990U);
}

TEST(Corpus, ServerLinesAsOneStreamInOddChunks) {
  // The corpus's server-to-client lines, in order, form a sequence of streams (restarts after
  // SASL): feed them as a client would receive them.
  std::vector<std::string> lines = corpus_lines();
  std::string stream;
  std::size_t expected = 0;
  for (const std::string& line : lines) {
    if (line.starts_with("<?xml")) {
      continue;  // one header is enough: this test does not restart
    }
    if (line.starts_with("</stream:stream")) {
      continue;
    }
    stream += line;
    ++expected;
  }
  for (std::size_t chunk : {1U, 5U, 4096U}) {
    testing::RecordingSink sink;
    StreamParser parser(sink);
    parser.feed(testing::kClientHeader);
    testing::feed_in_chunks(parser, stream, chunk);
    EXPECT_EQ(sink.error_count, 0) << (sink.error ? sink.error->text : "");
    EXPECT_EQ(sink.stanzas.size(), expected) << "chunk " << chunk;
  }
}

}  // namespace
}  // namespace tern::xmpp
