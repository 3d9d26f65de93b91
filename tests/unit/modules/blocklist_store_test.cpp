// SPDX-License-Identifier: MIT
#include "modules/blocking/blocklist_store.h"

#include <gtest/gtest.h>

#include <initializer_list>

#include "tests/unit/storage/temp_store.h"

namespace tern::modules::blocking {
namespace {

xmpp::Jid jid(std::string_view text) {
  auto parsed = xmpp::Jid::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : xmpp::Jid();
}

class BlocklistStoreTest : public storage::testing::TempStore {
 protected:
  void SetUp() override {
    TempStore::SetUp();
    store_ = BlocklistStore(env().open_store("blocklist", StoreScope::PerAccount).value());
  }
  BlocklistStore store_{StoreId{}};

  void block(std::string_view owner, std::initializer_list<std::string_view> items) {
    ASSERT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      for (std::string_view item : items) {
        if (auto r = store_.add(txn, owner, item); !r) {
          return r;
        }
      }
      return {};
    }));
  }
  bool blocked(std::string_view owner, std::string_view address) {
    auto txn = env().read();
    EXPECT_TRUE(txn.ok());
    return txn.ok() && store_.is_blocked(*txn, owner, jid(address));
  }
  std::vector<std::string> list(std::string_view owner) {
    auto txn = env().read();
    EXPECT_TRUE(txn.ok());
    return txn.ok() ? store_.list(*txn, owner) : std::vector<std::string>{};
  }
};

TEST_F(BlocklistStoreTest, EmptyBlocklistBlocksNobody) {
  EXPECT_TRUE(list("juliet@capulet.example").empty());
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example/orchard"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "montague.example"));
}

TEST_F(BlocklistStoreTest, BareJidBlocksEveryResourceOfThatAccountOnly) {
  block("juliet@capulet.example", {"romeo@montague.example"});
  EXPECT_TRUE(blocked("juliet@capulet.example", "romeo@montague.example"));
  EXPECT_TRUE(blocked("juliet@capulet.example", "romeo@montague.example/orchard"));
  EXPECT_TRUE(blocked("juliet@capulet.example", "romeo@montague.example/balcony"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "benvolio@montague.example"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "montague.example"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example.org/orchard"));
  // Another owner's blocklist is not Juliet's.
  EXPECT_FALSE(blocked("nurse@capulet.example", "romeo@montague.example"));
}

TEST_F(BlocklistStoreTest, FullJidBlocksOnlyThatResource) {
  block("juliet@capulet.example", {"romeo@montague.example/orchard"});
  EXPECT_TRUE(blocked("juliet@capulet.example", "romeo@montague.example/orchard"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example/balcony"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example"));
}

TEST_F(BlocklistStoreTest, DomainBlocksEveryoneThereAndItsSubdomains) {
  block("juliet@capulet.example", {"montague.example"});
  for (const char* address : {"montague.example", "montague.example/service",
                              "romeo@montague.example", "romeo@montague.example/orchard",
                              "chat.montague.example", "x@deep.chat.montague.example/r"}) {
    EXPECT_TRUE(blocked("juliet@capulet.example", address)) << address;
  }
  for (const char* address : {"capulet.example", "nurse@capulet.example", "xmontague.example",
                              "romeo@montague.example.org", "example"}) {
    EXPECT_FALSE(blocked("juliet@capulet.example", address)) << address;
  }
}

TEST_F(BlocklistStoreTest, DomainWithResourceBlocksOnlyThatAddress) {
  block("juliet@capulet.example", {"montague.example/bot"});
  EXPECT_TRUE(blocked("juliet@capulet.example", "montague.example/bot"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "montague.example"));
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example/bot"));
}

TEST_F(BlocklistStoreTest, IpLiteralsHaveNoParentDomains) {
  block("juliet@capulet.example", {"0.0.1", "1"});
  EXPECT_FALSE(blocked("juliet@capulet.example", "someone@127.0.0.1"));
  block("juliet@capulet.example", {"127.0.0.1"});
  EXPECT_TRUE(blocked("juliet@capulet.example", "someone@127.0.0.1/r"));
}

TEST_F(BlocklistStoreTest, AddIsIdempotentRemoveReportsPresenceRemoveAllClearsOneOwner) {
  block("juliet@capulet.example",
        {"romeo@montague.example", "tybalt@capulet.example", "romeo@montague.example"});
  block("nurse@capulet.example", {"romeo@montague.example"});
  // A longer owner that starts with the same bytes must not leak into Juliet's list.
  block("juliet@capulet.example.org", {"x@y"});
  EXPECT_EQ(list("juliet@capulet.example"),
            (std::vector<std::string>{"romeo@montague.example", "tybalt@capulet.example"}));
  {
    auto txn = env().read();
    ASSERT_TRUE(txn.ok());
    EXPECT_EQ(store_.count(*txn, "juliet@capulet.example"), 2u);
    EXPECT_TRUE(store_.contains(*txn, "juliet@capulet.example", "romeo@montague.example"));
    EXPECT_FALSE(store_.contains(*txn, "juliet@capulet.example", "montague.example"));
    EXPECT_FALSE(store_.contains(*txn, "juliet@capulet.example", ""));
  }

  bool first = false;
  bool second = true;
  ASSERT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
    auto r = store_.remove(txn, "juliet@capulet.example", "tybalt@capulet.example");
    if (!r) {
      return Err(r.error());
    }
    first = *r;
    r = store_.remove(txn, "juliet@capulet.example", "tybalt@capulet.example");
    if (!r) {
      return Err(r.error());
    }
    second = *r;
    return {};
  }));
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(list("juliet@capulet.example"), (std::vector<std::string>{"romeo@montague.example"}));

  ASSERT_TRUE(env().write(
      [this](WriteTxn& txn) { return store_.remove_all(txn, "juliet@capulet.example"); }));
  EXPECT_TRUE(list("juliet@capulet.example").empty());
  EXPECT_FALSE(blocked("juliet@capulet.example", "romeo@montague.example"));
  EXPECT_EQ(list("nurse@capulet.example"), (std::vector<std::string>{"romeo@montague.example"}));
  EXPECT_EQ(list("juliet@capulet.example.org"), (std::vector<std::string>{"x@y"}));
}

TEST_F(BlocklistStoreTest, RefusesAnEmptyItem) {
  EXPECT_FALSE(
      env().write([this](WriteTxn& txn) { return store_.add(txn, "juliet@capulet.example", ""); }));
}

TEST_F(BlocklistStoreTest, SurvivesReopen) {
  block("juliet@capulet.example", {"romeo@montague.example"});
  reopen();
  EXPECT_TRUE(blocked("juliet@capulet.example", "romeo@montague.example/orchard"));
}

TEST(BlocklistMatching, ItemBlocksFollowsTheSameRules) {
  EXPECT_TRUE(
      blocklist_item_blocks(jid("romeo@montague.example"), jid("romeo@montague.example/r")));
  EXPECT_FALSE(
      blocklist_item_blocks(jid("romeo@montague.example/r"), jid("romeo@montague.example")));
  EXPECT_TRUE(blocklist_item_blocks(jid("montague.example"), jid("a@b.montague.example")));
  EXPECT_FALSE(blocklist_item_blocks(jid("b.montague.example"), jid("a@montague.example")));
}

}  // namespace
}  // namespace tern::modules::blocking
