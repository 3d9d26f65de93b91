// SPDX-License-Identifier: MIT
#include "modules/roster/roster_store.h"

#include <gtest/gtest.h>

#include "tests/unit/storage/temp_store.h"

namespace tern::modules::roster {
namespace {

RosterItem item(std::string jid, Subscription s = Subscription::None) {
  RosterItem i;
  i.jid = std::move(jid);
  i.subscription = s;
  return i;
}

class RosterStoreTest : public storage::testing::TempStore {
 protected:
  void SetUp() override {
    TempStore::SetUp();
    store_ = RosterStore(env().open_store("roster", StoreScope::PerAccount).value());
  }
  RosterStore store_{StoreId{}};

  std::uint64_t read_version(std::string_view owner) {
    auto txn = env().read();
    return txn ? store_.version(*txn, owner) : ~std::uint64_t{0};
  }
};

TEST(RosterRecord, RoundTripsEveryField) {
  RosterItem i = item("nurse@capulet.example", Subscription::From);
  i.name = "Nurse ☺";
  i.groups = {"Servants", "Friends", ""};
  i.ask = true;
  i.pending_in = true;
  i.approved = true;
  i.visible = false;
  auto decoded = decode_roster_item(i.jid, encode_roster_item(i));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, i);
}

TEST(RosterRecord, RejectsTruncatedTrailingAndUnknownRecords) {
  std::string good = encode_roster_item(item("a@b", Subscription::Both));
  EXPECT_TRUE(decode_roster_item("a@b", good).has_value());
  EXPECT_FALSE(decode_roster_item("a@b", good.substr(0, good.size() - 1)).has_value());
  EXPECT_FALSE(decode_roster_item("a@b", good + "x").has_value());
  std::string bad_version = good;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_roster_item("a@b", bad_version).has_value());
  std::string bad_subscription = good;
  bad_subscription[1] = 4;
  EXPECT_FALSE(decode_roster_item("a@b", bad_subscription).has_value());
}

TEST_F(RosterStoreTest, ItemsOfOneOwnerOnlyInContactOrderWithVersions) {
  EXPECT_EQ(read_version("romeo@montague.example"), 0u);
  ASSERT_TRUE(env().write([this](WriteTxn& txn) -> Result<void, StoreError> {
    for (const char* contact : {"juliet@capulet.example", "benvolio@montague.example"}) {
      if (auto r = store_.put(txn, "romeo@montague.example", item(contact)); !r) {
        return Err(r.error());
      }
    }
    // A longer owner that starts with the same bytes must not leak into romeo's roster.
    if (auto r = store_.put(txn, "romeo@montague.example.org", item("x@y")); !r) {
      return Err(r.error());
    }
    return {};
  }));
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  auto items = store_.items(*txn, "romeo@montague.example");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].jid, "benvolio@montague.example");
  EXPECT_EQ(items[1].jid, "juliet@capulet.example");
  EXPECT_EQ(store_.version(*txn, "romeo@montague.example"), 2u);
  EXPECT_EQ(store_.version(*txn, "romeo@montague.example.org"), 1u);
  EXPECT_EQ(store_.get(*txn, "romeo@montague.example", "juliet@capulet.example")->jid,
            "juliet@capulet.example");
  EXPECT_FALSE(store_.get(*txn, "romeo@montague.example", "x@y").has_value());
  EXPECT_FALSE(store_.get(*txn, "romeo@montague.example", "").has_value());
}

TEST_F(RosterStoreTest, RemoveBumpsTheVersionAndRemoveAllClearsOneRoster) {
  std::uint64_t version = 0;
  ASSERT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
    if (auto r = store_.put(txn, "a@x", item("b@x", Subscription::Both)); !r) {
      return Err(r.error());
    }
    if (auto r = store_.put(txn, "b@x", item("a@x", Subscription::Both)); !r) {
      return Err(r.error());
    }
    auto removed = store_.remove(txn, "a@x", "b@x");
    if (!removed) {
      return Err(removed.error());
    }
    version = *removed;
    return env().delete_account_records(txn, "b@x");  // the account goes: its roster too
  }));
  EXPECT_EQ(version, 2u);
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  EXPECT_TRUE(store_.items(*txn, "a@x").empty());
  EXPECT_TRUE(store_.items(*txn, "b@x").empty());
  EXPECT_EQ(store_.version(*txn, "b@x"), 0u);
}

TEST_F(RosterStoreTest, SurvivesReopen) {
  RosterItem i = item("juliet@capulet.example", Subscription::To);
  i.groups = {"Lovers"};
  ASSERT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
    auto r = store_.put(txn, "romeo@montague.example", i);
    return r ? Result<void, StoreError>{} : Err(r.error());
  }));
  reopen();
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(store_.get(*txn, "romeo@montague.example", i.jid), i);
}

}  // namespace
}  // namespace tern::modules::roster
