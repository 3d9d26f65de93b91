// SPDX-License-Identifier: MIT
// The corpus as one binary connection: every line encodes, decodes back to the same tree
// (equal_trees) or header, and the size targets of the binary XMPP issue hold.
#include "tests/unit/xmpp/binary_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace tern::xmpp::binary {
namespace {

using testing::Connection;
using testing::CorpusLine;

struct Sizes {
  std::vector<std::size_t> all;
  std::map<std::string, std::vector<std::size_t>> by_kind;
  std::size_t xml_bytes = 0;
};

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
  return n == 0       ? 0
         : n % 2 == 1 ? static_cast<double>(v[n / 2])
                      : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2.0;
}

class BinaryCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lines_ = new std::vector<CorpusLine>(testing::load_corpus()); }
  static void TearDownTestSuite() {
    delete lines_;
    lines_ = nullptr;
  }
  static std::vector<CorpusLine>* lines_;
};
std::vector<CorpusLine>* BinaryCorpus::lines_ = nullptr;

TEST_F(BinaryCorpus, EveryLineRoundTripsAndTheSizeTargetsHold) {
  ASSERT_EQ(lines_->size(), 2009U) << "corpus missing: set TERN_TEST_DATA";
  Connection connection;
  Sizes sizes;
  std::string frame;
  for (const CorpusLine& line : *lines_) {
    frame.clear();
    ASSERT_TRUE(connection.encode(line.item, line.from_client, frame)) << line.xml;
    Frame decoded;
    auto used = connection.decoder(line.from_client).decode(frame, decoded);
    ASSERT_TRUE(used.ok()) << line.xml << "\n"
                           << used.error().reason << " at " << used.error().offset;
    ASSERT_EQ(*used, frame.size()) << line.xml;
    ASSERT_TRUE(testing::same(line.item, decoded)) << line.xml;
    connection.after(line.item);
    sizes.all.push_back(frame.size());
    sizes.by_kind[line.kind].push_back(frame.size());
    sizes.xml_bytes += line.xml.size();
  }
  double total = 0;
  for (std::size_t s : sizes.all) {
    total += static_cast<double>(s);
  }
  // The targets of the issue (docs/binary-xmpp.md, section 12).
  EXPECT_LE(mean(sizes.all), 75.0);
  EXPECT_LE(total / static_cast<double>(sizes.xml_bytes), 0.26);
  EXPECT_LE(median(sizes.all), 48.0);
  EXPECT_LE(median(sizes.by_kind["receipt"]), 48.0);
  EXPECT_LE(median(sizes.by_kind["chatstate"]), 30.0);
  EXPECT_LE(*std::max_element(sizes.by_kind["sm-r"].begin(), sizes.by_kind["sm-r"].end()), 3U);
  EXPECT_LE(*std::max_element(sizes.by_kind["sm-a"].begin(), sizes.by_kind["sm-a"].end()), 6U);
  std::printf("binary: mean %.2f median %.1f ratio %.4f\n", mean(sizes.all), median(sizes.all),
              total / static_cast<double>(sizes.xml_bytes));
  for (const auto& [kind, list] : sizes.by_kind) {
    std::printf("  %-14s n=%4zu mean %7.1f median %6.1f max %5zu\n", kind.c_str(), list.size(),
                mean(list), median(list), *std::max_element(list.begin(), list.end()));
  }
}

}  // namespace
}  // namespace tern::xmpp::binary
