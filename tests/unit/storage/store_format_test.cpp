// SPDX-License-Identifier: MIT
// Opening a store: its format is recorded and checked, and a file that is not a store is refused
// with a message that names it and says what to do.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/storage/temp_store.h"

namespace tern::storage {
namespace {

class StoreFormatTest : public testing::TempStore {};

TEST_F(StoreFormatTest, ANewStoreRecordsItsFormat) {
  auto txn = env().read();
  ASSERT_TRUE(txn);
  EXPECT_EQ(txn->get(Db::Meta, kFormatKey), std::to_string(kStoreFormat));
}

TEST_F(StoreFormatTest, AStoreFromANewerTernIsRefused) {
  ASSERT_TRUE(env().write([](WriteTxn& txn) {
    return txn.put(Db::Meta, kFormatKey, std::to_string(kStoreFormat + 1));
  }));
  env_.reset();
  auto opened = Environment::open(dir_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(dir_ + "/data.mdb has format " +
                                        std::to_string(kStoreFormat + 1)),
            std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("run the Tern that wrote it"), std::string::npos);
}

TEST_F(StoreFormatTest, AFileThatIsNotAStoreIsRefusedWithAdvice) {
  env_.reset();
  {
    std::ofstream garbage(dir_ + "/data.mdb", std::ios::trunc | std::ios::binary);
    garbage << std::string(64 * 1024, 'g');
  }
  auto opened = Environment::open(dir_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(dir_ + "/data.mdb is not a Tern store or is damaged"),
            std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("restore it from a backup"), std::string::npos);
}

}  // namespace
}  // namespace tern::storage
