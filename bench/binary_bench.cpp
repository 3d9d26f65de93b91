// SPDX-License-Identifier: MIT
// Binary XMPP (docs/binary-xmpp.md) on the mobile traffic corpus (tests/data/mobile-stanzas.xml,
// 2,009 lines, both directions interleaved as on one connection; one encoder/decoder state per
// direction). Two modes:
//   binary_bench --sizes   the size table: XML, deflate per stanza, zlib streams (computed here
//                          with zlib over the same lines), the quoted figures, Tern's
//                          binary encoding, the typical stanzas and the targets (scripts/
//                          binary_sizes.sh);
//   binary_bench           Google Benchmark: BinaryDecode / BinaryEncode against XmlParse (the
//                          stream parser building the same trees) and XmlSerialize.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/xmpp/binary_corpus.h"
#include "xmpp/serializer.h"
#include "xmpp/stream_parser.h"

namespace {

using namespace tern::xmpp;
using namespace tern::xmpp::binary;
using tern::xmpp::binary::testing::Connection;
using tern::xmpp::binary::testing::CorpusLine;

const std::vector<CorpusLine>& corpus() {
  static const std::vector<CorpusLine> lines = [] {
    auto l = tern::xmpp::binary::testing::load_corpus();
    if (l.empty()) {
      std::fprintf(stderr, "corpus missing: set TERN_TEST_DATA\n");
      std::abort();
    }
    return l;
  }();
  return lines;
}

struct Encoded {
  std::vector<std::string> frames;  // one per line
  std::string stream[2];            // c2s, s2c: the frames of each direction, concatenated
  std::size_t bind_line = 0;        // the bind result
};

const Encoded& encoded() {
  static const Encoded e = [] {
    Encoded out;
    Connection connection;
    for (std::size_t i = 0; i < corpus().size(); ++i) {
      const CorpusLine& line = corpus()[i];
      std::string frame;
      if (!connection.encode(line.item, line.from_client, frame)) {
        std::abort();
      }
      connection.after(line.item);
      if (line.item.kind == XmlItemKind::Element && !bound_jid(line.item.stanza->root()).empty()) {
        out.bind_line = i;
      }
      out.stream[line.from_client ? 0 : 1] += frame;
      out.frames.push_back(std::move(frame));
    }
    return out;
  }();
  return e;
}

// ---- sizes

double mean(const std::vector<std::size_t>& v) {
  double total = 0;
  for (std::size_t x : v) {
    total += static_cast<double>(x);
  }
  return v.empty() ? 0 : total / static_cast<double>(v.size());
}

double median(std::vector<std::size_t> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  if (n == 0) {
    return 0;
  }
  return n % 2 == 1 ? static_cast<double>(v[n / 2])
                    : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

// Bytes zlib emits for each line: one deflate stream per direction (or one for both), level 6,
// Z_SYNC_FLUSH after each stanza, as XEP-0138 stream compression does.
std::vector<std::size_t> zlib_stream(bool per_direction) {
  z_stream streams[2];
  for (z_stream& z : streams) {
    std::memset(&z, 0, sizeof z);
    deflateInit(&z, 6);
  }
  std::vector<std::size_t> sizes;
  std::vector<unsigned char> out(1 << 20);
  for (const CorpusLine& line : corpus()) {
    z_stream& z = streams[per_direction && !line.from_client ? 1 : 0];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(line.xml.data()));
    z.avail_in = static_cast<uInt>(line.xml.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_SYNC_FLUSH);
    sizes.push_back(out.size() - z.avail_out);
  }
  for (z_stream& z : streams) {
    deflateEnd(&z);
  }
  return sizes;
}

std::vector<std::size_t> deflate_per_stanza() {
  std::vector<std::size_t> sizes;
  std::vector<unsigned char> out(1 << 20);
  for (const CorpusLine& line : corpus()) {
    z_stream z;
    std::memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);  // raw deflate
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(line.xml.data()));
    z.avail_in = static_cast<uInt>(line.xml.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    sizes.push_back(out.size() - z.avail_out);
    deflateEnd(&z);
  }
  return sizes;
}

int print_sizes() {
  std::vector<std::size_t> xml;
  std::vector<std::size_t> binary;
  std::map<std::string, std::vector<std::size_t>> by_kind;
  std::map<std::string, std::vector<std::size_t>> xml_by_kind;
  for (std::size_t i = 0; i < corpus().size(); ++i) {
    xml.push_back(corpus()[i].xml.size());
    binary.push_back(encoded().frames[i].size());
    by_kind[corpus()[i].kind].push_back(binary.back());
    xml_by_kind[corpus()[i].kind].push_back(xml.back());
  }
  std::vector<std::size_t> stream = zlib_stream(true);
  std::vector<std::size_t> shared = zlib_stream(false);
  double xml_mean = mean(xml);
  double zlib_mean = mean(stream);
  std::printf(
      "Tern binary XMPP v1 on tests/data/mobile-stanzas.xml: %zu lines, both directions\n"
      "interleaved as on one connection, one encoder/decoder state per direction.\n\n",
      xml.size());
  std::printf("%-56s %8s %8s %8s %8s\n", "encoding (bytes per stanza)", "mean", "median", "vs XML",
              "vs zlib");
  auto row = [&](const char* name, const std::vector<std::size_t>& v) {
    std::printf("%-56s %8.1f %8.1f %8.3f %8.3f\n", name, mean(v), median(v), mean(v) / xml_mean,
                mean(v) / zlib_mean);
  };
  auto quoted = [&](const char* name, double m) {
    std::printf("%-56s %8.1f %8s %8.3f %8.3f\n", name, m, "-", m / xml_mean, m / zlib_mean);
  };
  row("XML", xml);
  row("deflate per stanza (raw, level 6)", deflate_per_stanza());
  row("zlib stream per direction (level 6, sync flush)", stream);
  row("zlib stream, one for both directions", shared);
  quoted("zstd per stanza, trained dictionary (issue, quoted)", 89.6);
  quoted("WhatsApp token rules, XMPP dictionary (issue, quoted)", 168.1);
  row("Tern binary XMPP v1", binary);

  std::printf("\n%-14s %6s %10s %10s %10s %10s\n", "kind", "count", "XML mean", "bin mean",
              "bin median", "bin max");
  for (const auto& [kind, sizes] : by_kind) {
    std::printf("%-14s %6zu %10.1f %10.1f %10.1f %10zu\n", kind.c_str(), sizes.size(),
                mean(xml_by_kind[kind]), mean(sizes), median(sizes),
                *std::max_element(sizes.begin(), sizes.end()));
  }

  auto max_of = [&](const char* kind) {
    const auto& v = by_kind[kind];
    return static_cast<double>(*std::max_element(v.begin(), v.end()));
  };
  struct Target {
    const char* what;
    double value;
    double limit;
  };
  const Target targets[] = {
      {"mean bytes per stanza <= 75", mean(binary), 75},
      {"ratio to XML <= 0.26", mean(binary) / xml_mean, 0.26},
      {"below the zlib stream (ratio to it < 1)", mean(binary) / zlib_mean, 0.9999},
      {"median bytes per stanza <= 48", median(binary), 48},
      {"receipt (median) <= 48", median(by_kind["receipt"]), 48},
      {"chat-state notification (median) <= 30", median(by_kind["chatstate"]), 30},
      {"<r/> (max) <= 3", max_of("sm-r"), 3},
      {"<a h/> (max) <= 6", max_of("sm-a"), 6},
  };
  int failed = 0;
  std::printf("\ntargets\n");
  for (const Target& t : targets) {
    bool ok = t.value <= t.limit;
    failed += ok ? 0 : 1;
    std::printf("  %-44s %9.3f  %s\n", t.what, t.value, ok ? "ok" : "MISSED");
  }
  return failed == 0 ? 0 : 1;
}

// ---- speed

void report(benchmark::State& state, std::size_t bytes, std::size_t items) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
}

std::size_t xml_bytes() {
  std::size_t n = 0;
  for (const CorpusLine& line : corpus()) {
    n += line.xml.size();
  }
  return n;
}

// The frames in wire order, decoded by the two receiving ends into Element trees.
void BinaryDecode(benchmark::State& state) {
  const Encoded& e = encoded();
  std::size_t decoded = 0;
  // One connection's decoders, kept across iterations as a server keeps them: the corpus starts
  // with stream headers, which reset their state.
  Decoder server_in(Role::Initiator);
  Decoder client_in(Role::Responder);
  for (auto _ : state) {
    for (std::size_t i = 0; i < e.frames.size(); ++i) {
      bool from_client = corpus()[i].from_client;
      Decoder& d = from_client ? server_in : client_in;
      Frame frame;
      auto used = d.decode(e.frames[i], frame);
      if (!used.ok()) {
        state.SkipWithError("decode failed");
        return;
      }
      benchmark::DoNotOptimize(frame.stanza.get());
      if (i == e.bind_line) {
        std::string_view jid = bound_jid(corpus()[i].item.stanza->root());
        server_in.set_own_jid(jid);
        client_in.set_own_jid(jid);
      }
      ++decoded;
    }
  }
  report(state, xml_bytes(), e.frames.size());
}
BENCHMARK(BinaryDecode);

// The trees in wire order, encoded by the two sending ends into one reused buffer.
void BinaryEncode(benchmark::State& state) {
  const Encoded& e = encoded();
  std::string buffer;
  // As in BinaryDecode: one connection's encoders, reset by the corpus's stream headers.
  Encoder client_out(Role::Initiator);
  Encoder server_out(Role::Responder);
  for (auto _ : state) {
    for (std::size_t i = 0; i < corpus().size(); ++i) {
      const CorpusLine& line = corpus()[i];
      Encoder& enc = line.from_client ? client_out : server_out;
      buffer.clear();
      switch (line.item.kind) {
        case XmlItemKind::StreamOpen:
          enc.encode_stream_open(line.item.header, buffer);
          break;
        case XmlItemKind::StreamClose:
          Encoder::encode_stream_close(buffer);
          break;
        case XmlItemKind::Element:
          if (!enc.encode(line.item.stanza->root(), buffer).ok()) {
            state.SkipWithError("encode failed");
            return;
          }
          break;
      }
      if (i == e.bind_line) {
        std::string_view jid = bound_jid(line.item.stanza->root());
        client_out.set_own_jid(jid);
        server_out.set_own_jid(jid);
      }
      benchmark::DoNotOptimize(buffer.data());
    }
  }
  report(state, xml_bytes(), corpus().size());
}
BENCHMARK(BinaryEncode);

class CountingSink : public StreamSink {
 public:
  void on_stream_open(const StreamHeader&) override {}
  void on_stanza(StanzaPtr stanza) override { benchmark::DoNotOptimize(stanza->root().name()); }
  void on_stream_close() override {}
  void on_stream_error(const StreamError&) override { failed = true; }
  bool failed = false;
};

// The baseline: the stream parser building the same trees from the XML of every element, fed as
// one client stream in 4 KiB reads (as bench/parser_bench's TernParse).
void XmlParse(benchmark::State& state) {
  std::string stream =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  for (const CorpusLine& line : corpus()) {
    if (line.item.kind == XmlItemKind::Element) {
      stream += line.xml;
    }
  }
  CountingSink sink;
  StreamParser parser(sink);
  for (auto _ : state) {
    parser.reset();
    for (std::size_t at = 0; at < stream.size(); at += 4096) {
      parser.feed(std::string_view(stream).substr(at, 4096));
    }
  }
  if (sink.failed) {
    state.SkipWithError("parse failed");
  }
  report(state, xml_bytes(), corpus().size());
}
BENCHMARK(XmlParse);

// The baseline: the same trees (and headers) serialized to XML into one reused buffer.
void XmlSerialize(benchmark::State& state) {
  Serializer serializer;
  std::string buffer;
  for (auto _ : state) {
    for (const CorpusLine& line : corpus()) {
      buffer.clear();
      switch (line.item.kind) {
        case XmlItemKind::StreamOpen:
          serializer.write_stream_open(buffer, line.item.header);
          break;
        case XmlItemKind::StreamClose:
          Serializer::write_stream_close(buffer);
          break;
        case XmlItemKind::Element:
          serializer.write(buffer, line.item.stanza->root());
          break;
      }
      benchmark::DoNotOptimize(buffer.data());
    }
  }
  report(state, xml_bytes(), corpus().size());
}
BENCHMARK(XmlSerialize);

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--sizes") == 0) {
      return print_sizes();
    }
  }
  encoded();  // parse and encode the corpus before anything is timed
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
