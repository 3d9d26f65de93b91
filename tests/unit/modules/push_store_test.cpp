// SPDX-License-Identifier: MIT
// PushStore: registrations per (app server, node), replaced in place, removed one by one or per
// app server, kept apart per owner, gone with the account, and still there after a reopen.
#include "modules/push/push_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/account_lifecycle.h"
#include "storage/account_store.h"
#include "tests/unit/storage/temp_store.h"

namespace tern::modules::push {
namespace {

using storage::AccountStore;
using storage::delete_account;
using storage::make_account;

class PushStoreTest : public storage::testing::TempStore {
 protected:
  void SetUp() override {
    TempStore::SetUp();
    store_ = PushStore(env().open_store("push", StoreScope::PerAccount).value());
  }
  PushStore store_{StoreId{}};

  void put(std::string_view owner, PushRegistration registration) {
    ASSERT_TRUE(env().write([&](WriteTxn& txn) { return store_.put(txn, owner, registration); }));
  }
  std::size_t remove(std::string_view owner, std::string_view app_server, std::string_view node) {
    std::size_t removed = 0;
    EXPECT_TRUE(env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      auto r = store_.remove(txn, owner, app_server, node);
      if (!r) {
        return Err(r.error());
      }
      removed = *r;
      return {};
    }));
    return removed;
  }
  // "app-server node options" per registration.
  std::vector<std::string> list(std::string_view owner) {
    auto txn = env().read();
    EXPECT_TRUE(txn.ok());
    std::vector<std::string> out;
    for (const PushRegistration& r : store_.list(*txn, owner)) {
      out.push_back(r.app_server + " " + r.node + " " + r.publish_options);
    }
    return out;
  }
};

TEST_F(PushStoreTest, RegistrationsAreKeptPerAppServerAndNodeAndReplacedInPlace) {
  put("juliet@example.com", {"push.example.net", "phone", "<x/>"});
  put("juliet@example.com", {"push.example.net", "tablet", ""});
  put("juliet@example.com", {"push.other.net", "phone", ""});
  put("juliet@example.com", {"push.example.net", "phone", "<y/>"});  // replaces the first
  // An owner whose name starts with Juliet's must not leak into her list.
  put("juliet@example.com.evil", {"push.example.net", "x", ""});
  EXPECT_EQ(list("juliet@example.com"),
            (std::vector<std::string>{"push.example.net phone <y/>", "push.example.net tablet ",
                                      "push.other.net phone "}));
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(store_.count(*txn, "juliet@example.com"), 3U);
}

TEST_F(PushStoreTest, RemoveOneNodeOrEveryNodeOfAnAppServer) {
  put("juliet@example.com", {"push.example.net", "phone", ""});
  put("juliet@example.com", {"push.example.net", "tablet", ""});
  put("juliet@example.com", {"push.example.net.other", "phone", ""});
  EXPECT_EQ(remove("juliet@example.com", "push.example.net", "phone"), 1U);
  EXPECT_EQ(remove("juliet@example.com", "push.example.net", "phone"), 0U);
  put("juliet@example.com", {"push.example.net", "phone", ""});
  EXPECT_EQ(remove("juliet@example.com", "push.example.net", ""), 2U);
  // An app server whose JID starts with the other's keeps its registration.
  EXPECT_EQ(list("juliet@example.com"),
            (std::vector<std::string>{"push.example.net.other phone "}));
}

TEST_F(PushStoreTest, RefusesARegistrationWithoutAppServerOrNode) {
  EXPECT_FALSE(env().write([this](WriteTxn& txn) {
    return store_.put(txn, "juliet@example.com", {"", "n", ""});
  }));
  EXPECT_FALSE(env().write([this](WriteTxn& txn) {
    return store_.put(txn, "juliet@example.com", {"push.example.net", "", ""});
  }));
}

TEST_F(PushStoreTest, AccountDeletionRemovesTheRegistrationsAndReopenKeepsThem) {
  put("juliet@example.com", {"push.example.net", "phone", ""});
  put("romeo@example.com", {"push.example.net", "phone", ""});
  reopen();  // the registrations are still there
  store_ = PushStore(env().open_store("push", StoreScope::PerAccount).value());
  EXPECT_EQ(list("romeo@example.com").size(), 1U);
  ASSERT_TRUE(env().write([this](WriteTxn& txn) -> Result<void, StoreError> {
    auto account = make_account("pw");
    if (!account) {
      return Err(StoreError{0, account.error()});
    }
    if (auto r = AccountStore::put(txn, "juliet@example.com", *account); !r) {
      return r;
    }
    auto deleted = delete_account(env(), txn, "juliet@example.com");
    if (!deleted) {
      return Err(deleted.error());
    }
    return {};
  }));
  EXPECT_TRUE(list("juliet@example.com").empty());
  EXPECT_EQ(list("romeo@example.com").size(), 1U);
}

}  // namespace
}  // namespace tern::modules::push
