// SPDX-License-Identifier: MIT
#include "modules/offline/offline_store.h"

#include <gtest/gtest.h>

#include "tests/unit/storage/temp_store.h"

namespace tern::modules::offline {
namespace {

class OfflineStoreTest : public storage::testing::TempStore {
 protected:
  void SetUp() override {
    TempStore::SetUp();
    store_ = OfflineStore(env().open_store("offline", StoreScope::PerAccount).value());
  }
  OfflineStore store_{StoreId{}};

  // Pushes in one write; returns the sequence numbers (0 for over quota).
  std::vector<std::uint64_t> push(std::string_view owner, const std::vector<std::string>& xmls,
                                  std::size_t quota = 100) {
    std::vector<std::uint64_t> sequences;
    auto written = env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      for (const std::string& xml : xmls) {
        auto r =
            store_.push(txn, owner, 1700000000000 + static_cast<int>(sequences.size()), xml, quota);
        if (!r) {
          return Err(r.error());
        }
        sequences.push_back(r->value_or(0));
      }
      return {};
    });
    EXPECT_TRUE(written.ok());
    return sequences;
  }
  std::vector<OfflineMessage> read(std::string_view owner, std::size_t limit = SIZE_MAX) {
    auto txn = env().read();
    return txn ? store_.read(*txn, owner, limit) : std::vector<OfflineMessage>{};
  }
  std::size_t count(std::string_view owner) {
    auto txn = env().read();
    return txn ? store_.count(*txn, owner) : SIZE_MAX;
  }
  bool remove(std::string_view owner, std::uint64_t sequence) {
    bool removed = false;
    EXPECT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      auto r = store_.remove(txn, owner, sequence);
      if (!r) {
        return Err(r.error());
      }
      removed = *r;
      return {};
    }));
    return removed;
  }
};

// A delivery in slices reads on from the last sequence it sent, up to a bound, within a budget
// of messages and bytes, without touching another owner's queue.
TEST_F(OfflineStoreTest, ReadsASliceOfTheQueue) {
  std::vector<std::string> xmls;
  xmls.reserve(300);
  for (int i = 0; i < 300; ++i) {
    xmls.push_back("<message><body>" + std::to_string(i) + "</body></message>");
  }
  auto sequences = push("juliet@example.com", xmls, 1000);
  push("juliet@example.com.evil", {"<message><body>other</body></message>"});
  auto txn = env().read();
  ASSERT_TRUE(txn);
  using Range = OfflineStore::Range;
  const std::string_view juliet = "juliet@example.com";
  auto slice = store_.read(*txn, juliet, Range{.after = sequences[254], .max_messages = 100});
  ASSERT_EQ(slice.size(), 45U);  // 255..299: past the byte boundary, and no further
  EXPECT_EQ(slice.front().sequence, sequences[255]);
  EXPECT_EQ(slice.back().xml, xmls[299]);
  slice = store_.read(*txn, juliet, Range{.after = sequences[9], .until = sequences[19]});
  ASSERT_EQ(slice.size(), 10U);
  EXPECT_EQ(slice.front().xml, xmls[10]);
  EXPECT_EQ(slice.back().xml, xmls[19]);
  // A byte budget stops after the message that reaches it, and always reads one.
  std::size_t two = xmls[0].size() + xmls[1].size();
  EXPECT_EQ(store_.read(*txn, juliet, Range{.max_bytes = two}).size(), 2U);
  EXPECT_EQ(store_.read(*txn, juliet, Range{.max_bytes = 1}).size(), 1U);
  EXPECT_TRUE(store_.read(*txn, juliet, Range{.after = sequences[299]}).empty());
  EXPECT_TRUE(store_.read(*txn, juliet, Range{.after = UINT64_MAX}).empty());
  EXPECT_EQ(store_.last_sequence(*txn, juliet), sequences[299]);
  EXPECT_EQ(store_.last_sequence(*txn, "nobody@example.com"), 0U);
}

TEST(OfflineRecord, RoundTripsAndRejectsBadRecords) {
  OfflineMessage m{7, 1700000000123, "<message to='a@b'><body>hi</body></message>"};
  auto decoded = decode_offline_message(7, encode_offline_message(m));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, m);
  std::string bad = encode_offline_message(m);
  bad[0] = 2;
  EXPECT_FALSE(decode_offline_message(7, bad).has_value());
  EXPECT_FALSE(decode_offline_message(7, "\x01\x02").has_value());
}

TEST_F(OfflineStoreTest, KeepsOrderPerOwnerBeyondTwoHundredFiftySix) {
  std::vector<std::string> xmls;
  xmls.reserve(300);
  for (int i = 0; i < 300; ++i) {  // past one byte of sequence number: order must still hold
    xmls.push_back("<message><body>" + std::to_string(i) + "</body></message>");
  }
  auto sequences = push("juliet@example.com", xmls, 1000);
  push("romeo@example.com", {"<message><body>other</body></message>"});
  auto messages = read("juliet@example.com");
  ASSERT_EQ(messages.size(), 300U);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].xml, xmls[i]);
    EXPECT_EQ(messages[i].sequence, sequences[i]);
    EXPECT_EQ(messages[i].stamp_ms, 1700000000000 + static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(count("juliet@example.com"), 300U);
  EXPECT_EQ(read("juliet@example.com", 5).size(), 5U);
  EXPECT_EQ(read("romeo@example.com").size(), 1U);
}

TEST_F(OfflineStoreTest, QuotaRefusesWithoutWriting) {
  auto sequences = push("juliet@example.com", {"<a/>", "<b/>", "<c/>"}, 2);
  EXPECT_NE(sequences[0], 0U);
  EXPECT_NE(sequences[1], 0U);
  EXPECT_EQ(sequences[2], 0U);  // over quota
  EXPECT_EQ(count("juliet@example.com"), 2U);
  EXPECT_EQ(read("juliet@example.com").back().xml, "<b/>");
}

TEST_F(OfflineStoreTest, SequenceNumbersAreNeverReusedAfterTheQueueEmpties) {
  auto first = push("juliet@example.com", {"<a/>", "<b/>"});
  EXPECT_TRUE(remove("juliet@example.com", first[0]));
  EXPECT_TRUE(remove("juliet@example.com", first[1]));
  EXPECT_EQ(count("juliet@example.com"), 0U);
  auto next = push("juliet@example.com", {"<c/>"});
  EXPECT_GT(next[0], first[1]);
  EXPECT_FALSE(remove("juliet@example.com", first[1]));  // an old ack: nothing
  EXPECT_EQ(read("juliet@example.com").size(), 1U);
}

TEST_F(OfflineStoreTest, RemoveTakesExactlyOneMessageOutOfOrder) {
  auto sequences = push("juliet@example.com", {"<a/>", "<b/>", "<c/>"});
  bool removed = false;
  auto remove = [&](std::uint64_t sequence) {
    EXPECT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      auto r = store_.remove(txn, "juliet@example.com", sequence);
      if (!r) {
        return Err(r.error());
      }
      removed = *r;
      return {};
    }));
    return removed;
  };
  EXPECT_TRUE(remove(sequences[1]));   // the middle one: acknowledged before the first
  EXPECT_FALSE(remove(sequences[1]));  // twice: nothing, and the count stays right
  auto left = read("juliet@example.com");
  ASSERT_EQ(left.size(), 2U);
  EXPECT_EQ(left[0].xml, "<a/>");
  EXPECT_EQ(left[1].xml, "<c/>");
  EXPECT_EQ(count("juliet@example.com"), 2U);
}

TEST_F(OfflineStoreTest, SurvivesReopenAndRemoveAllClearsOneQueue) {
  push("juliet@example.com", {"<a/>", "<b/>"});
  push("romeo@example.com", {"<c/>"});
  reopen();
  EXPECT_EQ(read("juliet@example.com").size(), 2U);
  ASSERT_TRUE(
      env().write([this](WriteTxn& txn) { return store_.remove_all(txn, "juliet@example.com"); }));
  EXPECT_TRUE(read("juliet@example.com").empty());
  EXPECT_EQ(count("juliet@example.com"), 0U);
  EXPECT_EQ(read("romeo@example.com").size(), 1U);
}

}  // namespace
}  // namespace tern::modules::offline
