// SPDX-License-Identifier: MIT
// The published test vectors (tests/data/binary-vectors/vectors.txt, format in its header): every
// frame decodes to the tree of its XML (normative), Tern's encoder writes exactly that frame (the
// reference policy), and every error frame is refused with its stream error. With
// TERN_BINARY_VECTORS_UPDATE=1 the test rewrites the hex lines from the xml lines instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "tests/unit/xmpp/binary_corpus.h"
#include "tests/unit/xmpp/binary_test_util.h"

namespace tern::xmpp::binary {
namespace {

using testing::hex;
using testing::unhex;

struct Session {
  std::string name;
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Decoder> decoder;
};

bool encode_item(Encoder& e, const XmlItem& item, std::string& out) {
  switch (item.kind) {
    case XmlItemKind::StreamOpen:
      e.encode_stream_open(item.header, out);
      return true;
    case XmlItemKind::StreamClose:
      Encoder::encode_stream_close(out);
      return true;
    case XmlItemKind::Element:
      return e.encode(item.stanza->root(), out).ok();
  }
  return false;
}

TEST(BinaryVectors, EveryVectorHolds) {
  std::string path = testing::test_data_dir() + "/binary-vectors/vectors.txt";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  bool update =
      std::getenv("TERN_BINARY_VECTORS_UPDATE") != nullptr;  // NOLINT(concurrency-mt-unsafe)
  std::ostringstream rewritten;
  Session session;
  std::string pending_xml;  // the xml line waiting for its hex line
  std::string frame;
  XmlItem item;
  std::size_t frames = 0;
  std::size_t errors = 0;
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::string where = path + ":" + std::to_string(number);
    std::string keyword = line.substr(0, line.find(' '));
    std::string rest = line.size() > keyword.size() ? line.substr(keyword.size() + 1) : "";
    if (keyword == "session") {
      std::string role = rest.substr(rest.find(' ') + 1);
      Role r = role == "initiator" ? Role::Initiator : Role::Responder;
      session = {rest.substr(0, rest.find(' ')), std::make_unique<Encoder>(r),
                 std::make_unique<Decoder>(r)};
    } else if (keyword == "own") {
      session.encoder->set_own_jid(rest);
      session.decoder->set_own_jid(rest);
    } else if (keyword == "xml") {
      auto parsed = parse_xml_item(rest);
      ASSERT_TRUE(parsed.ok()) << where;
      item = std::move(parsed).value();
      frame.clear();
      ASSERT_TRUE(encode_item(*session.encoder, item, frame)) << where;
      pending_xml = rest;
    } else if (keyword == "hex") {
      ASSERT_FALSE(pending_xml.empty()) << where << ": hex without xml";
      if (update) {
        rewritten << "hex " << hex(frame) << "\n";
      } else {
        EXPECT_EQ(rest, hex(frame)) << where << ": the reference encoder differs";
      }
      std::string bytes = update ? frame : unhex(rest);
      Frame decoded;
      auto used = session.decoder->decode(bytes, decoded);
      ASSERT_TRUE(used.ok()) << where << ": " << used.error().reason;
      EXPECT_EQ(*used, bytes.size()) << where;
      EXPECT_TRUE(testing::same(item, decoded)) << where;
      pending_xml.clear();
      ++frames;
      continue;
    } else if (keyword == "error") {
      std::string condition = rest.substr(0, rest.find(' '));
      std::string bytes = unhex(rest.substr(rest.find(' ') + 1));
      Decoder copy = *session.decoder;
      Frame decoded;
      auto used = copy.decode(bytes, decoded);
      ASSERT_FALSE(used.ok()) << where;
      EXPECT_EQ(condition_name(used.error().condition()), condition) << where;
      ++errors;
    }
    if (update) {
      rewritten << line << "\n";
    }
  }
  if (update) {
    std::ofstream(path) << rewritten.str();
  }
  EXPECT_GT(frames, 200U);
  EXPECT_GE(errors, 5U);
}

}  // namespace
}  // namespace tern::xmpp::binary
