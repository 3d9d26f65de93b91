// SPDX-License-Identifier: MIT
#include "storage/account_store.h"

#include <gtest/gtest.h>

#include "tests/unit/storage/temp_store.h"
#include "xmpp/sasl/scram.h"

namespace tern::storage {
namespace {

using xmpp::sasl::ScramHash;

Account make_account(std::string_view password) {
  Account account;
  for (ScramHash hash : {ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512}) {
    auto c = xmpp::sasl::make_scram_credentials(hash, password, 4096);
    EXPECT_TRUE(c.ok());
    account.credentials.push_back(std::move(c).value());
  }
  return account;
}

class AccountStoreTest : public testing::TempStore {};

TEST_F(AccountStoreTest, PutGetListRemove) {
  Account juliet = make_account("r0m30!");
  ASSERT_TRUE(env().write([&](WriteTxn& txn) {
    auto r = AccountStore::put(txn, "juliet@capulet.example", juliet);
    return r ? AccountStore::put(txn, "romeo@montague.example", make_account("x")) : r;
  }));
  auto txn = env().read();
  ASSERT_TRUE(txn.ok());
  auto got = AccountStore::get(*txn, "juliet@capulet.example");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, juliet);
  EXPECT_TRUE(
      xmpp::sasl::scram_password_matches(*got->credentials_for(ScramHash::Sha256), "r0m30!"));
  EXPECT_FALSE(AccountStore::get(*txn, "nobody@capulet.example").has_value());
  EXPECT_EQ(AccountStore::list(*txn),
            (std::vector<std::string>{"juliet@capulet.example", "romeo@montague.example"}));
  EXPECT_EQ(AccountStore::list(*txn, "montague.example"),
            std::vector<std::string>{"romeo@montague.example"});

  ASSERT_TRUE(env().write([&](WriteTxn& w) -> Result<void, StorageError> {
    auto removed = AccountStore::remove(w, "juliet@capulet.example");
    EXPECT_TRUE(removed.ok() && *removed);
    auto again = AccountStore::remove(w, "juliet@capulet.example");
    EXPECT_TRUE(again.ok() && !*again);
    return {};
  }));
  auto after = env().read();
  EXPECT_FALSE(AccountStore::exists(*after, "juliet@capulet.example"));
}

TEST_F(AccountStoreTest, SurvivesReopen) {
  Account a = make_account("pw");
  ASSERT_TRUE(env().write([&](WriteTxn& txn) { return AccountStore::put(txn, "a@b.example", a); }));
  reopen();
  auto txn = env().read();
  EXPECT_EQ(AccountStore::get(*txn, "a@b.example"), a);
}

TEST_F(AccountStoreTest, RecordHoldsNoPassword) {
  Account a = make_account("correct horse battery staple");
  std::string record = encode_account(a);
  EXPECT_EQ(record.find("correct horse"), std::string::npos);
}

TEST(AccountRecord, RoundTripsAndRejectsCorruption) {
  Account a = make_account("pw");
  std::string record = encode_account(a);
  EXPECT_EQ(decode_account(record), a);
  EXPECT_FALSE(decode_account(""));
  EXPECT_FALSE(decode_account(record.substr(0, record.size() - 1)));  // truncated
  EXPECT_FALSE(decode_account(record + "x"));                         // trailing bytes
  std::string wrong_version = record;
  wrong_version[0] = 9;
  EXPECT_FALSE(decode_account(wrong_version));
  EXPECT_EQ(decode_account(encode_account(Account{})), Account{});
}

}  // namespace
}  // namespace tern::storage
