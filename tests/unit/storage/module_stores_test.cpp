// SPDX-License-Identifier: MIT
// The stores modules open by name (Environment::open_store): one LMDB database each, recorded in
// the store's meta data with its scope, so that deleting an account deletes its records in every
// per-account store, even from a process (ternctl) that never opened them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/account_lifecycle.h"
#include "tests/unit/storage/temp_store.h"

namespace tern::storage {
namespace {

class ModuleStoresTest : public testing::TempStore {
 protected:
  void put(StoreId store, const std::string& key, const std::string& value) {
    auto written = env().write([&](WriteTxn& txn) { return txn.put(store, key, value); });
    ASSERT_TRUE(written.ok()) << written.error().message;
  }
  bool has(StoreId store, const std::string& key) {
    auto txn = env().read();
    return txn.ok() && txn->get(store, key).has_value();
  }
};

TEST_F(ModuleStoresTest, AStoreIsOpenedOnceByNameWithOneScope) {
  auto notes = env().open_store("notes", StoreScope::PerAccount);
  auto again = env().open_store("notes", StoreScope::PerAccount);
  auto other = env().open_store("settings", StoreScope::Global);
  ASSERT_TRUE(notes.ok() && again.ok() && other.ok());
  EXPECT_EQ(notes.value(), again.value());
  EXPECT_NE(notes.value(), other.value());
  EXPECT_NE(notes.value(), Db::Accounts);
  auto clash = env().open_store("notes", StoreScope::Global);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "store 'notes' is per-account, not global");
  // Stores are separate databases: the same key in two of them is two records.
  const std::string key = std::string("juliet@example.com") + '\0' + "a";
  put(notes.value(), key, "1");
  EXPECT_TRUE(has(notes.value(), key));
  EXPECT_FALSE(has(other.value(), key));
}

TEST_F(ModuleStoresTest, DeletingAnAccountDeletesItsRecordsInEveryPerAccountStore) {
  const StoreId notes = env().open_store("notes", StoreScope::PerAccount).value();
  const StoreId settings = env().open_store("settings", StoreScope::Global).value();
  const std::string juliet = std::string("juliet@example.com") + '\0';
  const std::string julietta = std::string("julietta@example.com") + '\0';
  put(notes, juliet + "a", "1");
  put(notes, juliet + "b", "2");
  put(notes, julietta + "a", "3");
  put(settings, juliet + "a", "global");
  const StoreId other = env().open_store("other notes", StoreScope::PerAccount).value();
  put(other, juliet + "tybalt@example.com", "1");

  // Reopened as ternctl would be, without opening the module's store: it is known from the meta
  // data all the same.
  reopen();
  auto deleted = env().write(
      [this](WriteTxn& txn) { return env().delete_account_records(txn, "juliet@example.com"); });
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  const StoreId reopened = env().open_store("notes", StoreScope::PerAccount).value();
  EXPECT_FALSE(has(reopened, juliet + "a"));
  EXPECT_FALSE(has(reopened, juliet + "b"));
  EXPECT_TRUE(has(reopened, julietta + "a"));  // a longer name with the same start is not hers
  EXPECT_FALSE(has(env().open_store("other notes", StoreScope::PerAccount).value(),
                   juliet + "tybalt@example.com"));
  EXPECT_TRUE(has(env().open_store("settings", StoreScope::Global).value(), juliet + "a"));
}

TEST_F(ModuleStoresTest, ScansGoBothWaysWithinAPrefix) {
  auto store = env().open_store("archive", StoreScope::Global);
  ASSERT_TRUE(store.ok());
  for (const char* key : {"a1", "b1", "b2", "b3", "c1"}) {
    put(store.value(), key, key);
  }
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  auto collect_back = [&](std::string_view prefix, std::string_view before) {
    std::vector<std::string> keys;
    txn->scan_back(store.value(), prefix, before, [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    return keys;
  };
  EXPECT_EQ(collect_back("b", ""), (std::vector<std::string>{"b3", "b2", "b1"}));
  EXPECT_EQ(collect_back("b", "b3"), (std::vector<std::string>{"b2", "b1"}));  // below the bound
  EXPECT_EQ(collect_back("b", "b25"), (std::vector<std::string>{"b2", "b1"}));
  EXPECT_EQ(collect_back("c", ""), (std::vector<std::string>{"c1"}));  // the last key of all
  EXPECT_EQ(collect_back("d", ""), (std::vector<std::string>{}));
  EXPECT_EQ(collect_back("a", "a1"), (std::vector<std::string>{}));
  std::vector<std::string> stopped;
  txn->scan_back(store.value(), "b", "", [&](std::string_view k, std::string_view) {
    stopped.emplace_back(k);
    return false;
  });
  EXPECT_EQ(stopped, (std::vector<std::string>{"b3"}));
}

TEST_F(ModuleStoresTest, TheNumberOfStoresIsBounded) {
  std::size_t opened = kDatabaseCount;
  for (; opened < kMaxStores; ++opened) {
    ASSERT_TRUE(env().open_store("s" + std::to_string(opened), StoreScope::Global).ok());
  }
  auto one_too_many = env().open_store("last", StoreScope::Global);
  ASSERT_FALSE(one_too_many.ok());
  EXPECT_EQ(one_too_many.error().message,
            "cannot open store 'last': " + std::to_string(kMaxStores) + " stores are open already");
  reopen();  // and every one of them opens again
  EXPECT_TRUE(env().open_store("s" + std::to_string(kDatabaseCount), StoreScope::Global).ok());
}

}  // namespace
}  // namespace tern::storage
