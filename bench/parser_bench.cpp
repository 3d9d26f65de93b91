// SPDX-License-Identifier: MIT
// Parser and serializer throughput over the mobile traffic corpus (tests/data/mobile-stanzas.xml,
// one stream: a client header, then every element of the corpus). Three figures:
//   ExpatFloor      Expat alone with empty callbacks and namespace processing: the floor;
//   TernParse       StreamParser building an Element tree per stanza and dropping it;
//   TernSerialize   the same trees written back to XML into a reused buffer.
// Plus the worst case the token guard exists for: a maximal start tag fed one byte at a time.
// scripts/bench.sh runs this and prints the ratio TernParse / ExpatFloor.
#include <benchmark/benchmark.h>
#include <expat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace {

using namespace tern::xmpp;

struct Corpus {
  std::string stream;  // header + every element
  std::size_t elements = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    const char* dir = std::getenv("TERN_TEST_DATA");
    std::ifstream in(std::string(dir != nullptr ? dir : "tests/data") + "/mobile-stanzas.xml");
    Corpus out;
    out.stream =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='s.example.net' version='1.0'>";
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line.starts_with("<?xml") || line.starts_with("</stream")) {
        continue;
      }
      out.stream += line;
      ++out.elements;
    }
    if (out.elements == 0) {
      std::abort();  // no corpus: set TERN_TEST_DATA
    }
    return out;
  }();
  return c;
}

void report(benchmark::State& state, std::size_t bytes, std::size_t items) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
}

// Read-size chunks, as a connection delivers them.
constexpr std::size_t kReadSize = 4096;

void ExpatFloor(benchmark::State& state) {
  const Corpus& c = corpus();
  XML_Parser p = XML_ParserCreateNS("UTF-8", '\x01');
  for (auto _ : state) {
    XML_ParserReset(p, "UTF-8");
    XML_SetElementHandler(
        p, [](void*, const XML_Char*, const XML_Char**) {}, [](void*, const XML_Char*) {});
    XML_SetCharacterDataHandler(p, [](void*, const XML_Char*, int) {});
    for (std::size_t at = 0; at < c.stream.size(); at += kReadSize) {
      std::size_t n = std::min(kReadSize, c.stream.size() - at);
      if (XML_Parse(p, c.stream.data() + at, static_cast<int>(n), XML_FALSE) != XML_STATUS_OK) {
        state.SkipWithError("expat failed");
        break;
      }
    }
  }
  XML_ParserFree(p);
  report(state, c.stream.size(), c.elements);
}
BENCHMARK(ExpatFloor);

class CountingSink : public StreamSink {
 public:
  void on_stream_open(const StreamHeader&) override {}
  void on_stanza(StanzaPtr stanza) override {
    benchmark::DoNotOptimize(stanza->root().name());
    ++count;
  }
  void on_stream_close() override {}
  void on_stream_error(const StreamError&) override { failed = true; }
  std::size_t count = 0;
  bool failed = false;
};

void TernParse(benchmark::State& state) {
  const Corpus& c = corpus();
  CountingSink sink;
  StreamParser parser(sink);
  for (auto _ : state) {
    parser.reset();
    for (std::size_t at = 0; at < c.stream.size(); at += kReadSize) {
      parser.feed(std::string_view(c.stream).substr(at, kReadSize));
    }
  }
  if (sink.failed || sink.count != state.iterations() * c.elements) {
    state.SkipWithError("parse failed");
  }
  report(state, c.stream.size(), c.elements);
}
BENCHMARK(TernParse);

class KeepingSink : public CountingSink {
 public:
  void on_stanza(StanzaPtr stanza) override { kept.push_back(std::move(stanza)); }
  std::vector<StanzaPtr> kept;
};

void TernSerialize(benchmark::State& state) {
  const Corpus& c = corpus();
  KeepingSink sink;
  StreamParser parser(sink);
  parser.feed(c.stream);
  Serializer serializer;
  std::string buffer;
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const StanzaPtr& s : sink.kept) {
      buffer.clear();
      serializer.write(buffer, s->root());
      bytes += buffer.size();
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  report(state, bytes, sink.kept.size());
}
BENCHMARK(TernSerialize);

// CVE-2023-52425: a start tag as large as the token guard allows, one byte per feed. Expat 2.5
// reparses the unfinished token on every call, so this is quadratic in the tag size; the guard
// (ParserLimits::max_token_bytes) is what bounds it.
void MaximalStartTagOneByteAtATime(benchmark::State& state) {
  ParserOptions options;
  options.limits.max_token_bytes = static_cast<std::size_t>(state.range(0));
  std::string tag = "<message id='" + std::string(options.limits.max_token_bytes - 20, 'x') + "'/>";
  CountingSink sink;
  StreamParser parser(sink, options);
  for (auto _ : state) {
    parser.reset();
    parser.feed(corpus().stream.substr(0, corpus().stream.find('>') + 1));
    for (char ch : tag) {
      parser.feed(std::string_view(&ch, 1));
    }
  }
  report(state, tag.size(), 1);
}
BENCHMARK(MaximalStartTagOneByteAtATime)->Arg(4 * 1024)->Arg(16 * 1024)->Arg(64 * 1024);

}  // namespace

BENCHMARK_MAIN();
