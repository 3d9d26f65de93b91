// SPDX-License-Identifier: MIT
#include "storage/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "log/backend.h"
#include "tests/unit/storage/temp_store.h"

namespace tern::storage {
namespace {

class WriterTest : public testing::TempStore {};

TEST_F(WriterTest, EveryWriteCompletesAndIsVisible) {
  constexpr int kWrites = 2000;
  std::atomic<int> ok{0};
  {
    Writer writer(env());
    for (int i = 0; i < kWrites; ++i) {
      writer.submit([i](WriteTxn& txn) { return txn.put(Db::Meta, "k" + std::to_string(i), "v"); },
                    [&](const Result<void, StorageError>& r) { ok += r.ok() ? 1 : 0; });
    }
  }  // the destructor drains the queue
  EXPECT_EQ(ok.load(), kWrites);
  auto txn = env().read();
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(txn->get(Db::Meta, "k" + std::to_string(i)).has_value()) << i;
  }
}

TEST_F(WriterTest, GroupsWritesIntoFewerCommits) {
  Writer writer(env());
  // Hold the writer busy with a slow first write so that the rest queue up behind it.
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  writer.submit(
      [gate](WriteTxn& txn) {
        gate.wait();
        return txn.put(Db::Meta, "first", "1");
      },
      nullptr);
  std::promise<void> all_done;
  std::atomic<int> remaining{100};
  for (int i = 0; i < 100; ++i) {
    writer.submit([i](WriteTxn& txn) { return txn.put(Db::Meta, "b" + std::to_string(i), "x"); },
                  [&](const Result<void, StorageError>&) {
                    if (--remaining == 0) {
                      all_done.set_value();
                    }
                  });
  }
  release.set_value();
  all_done.get_future().wait();
  EXPECT_EQ(writer.writes(), 101U);
  EXPECT_LE(writer.commits(), 3U) << "100 queued writes should share a commit";
}

TEST_F(WriterTest, FailedWriteIsUndoneAloneAndReported) {
  std::promise<bool> failed_result;
  std::promise<bool> good_result;
  {
    Writer writer(env());
    writer.submit(
        [](WriteTxn& txn) -> Result<void, StorageError> {
          (void)txn.put(Db::Meta, "half", "written");
          return Err(StorageError{0, "refused"});
        },
        [&](const Result<void, StorageError>& r) { failed_result.set_value(r.ok()); });
    writer.submit([](WriteTxn& txn) { return txn.put(Db::Meta, "good", "yes"); },
                  [&](const Result<void, StorageError>& r) { good_result.set_value(r.ok()); });
  }
  EXPECT_FALSE(failed_result.get_future().get());
  EXPECT_TRUE(good_result.get_future().get());
  auto txn = env().read();
  EXPECT_FALSE(txn->get(Db::Meta, "half").has_value());
  EXPECT_EQ(txn->get(Db::Meta, "good"), "yes");
}

// What the writer logs: each failed write (error) and each commit over the threshold (warn).
TEST_F(WriterTest, LogsFailedWritesAndSlowCommits) {
  log::Options options;
  options.destination = dir_ + "/ternd.log";
  ASSERT_EQ(log::start(options), std::nullopt);
  {
    Writer writer(env(), 1024, std::chrono::milliseconds(5));
    writer.submit(
        [](WriteTxn& /*txn*/) -> Result<void, StorageError> {
          return Err(StorageError{0, "refused by the test"});
        },
        {});
    writer.submit(
        [](WriteTxn& txn) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return txn.put(Db::Meta, "slow", "yes");
        },
        {});
  }
  log::stop();
  std::ifstream in(options.destination);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("storage write.failed: store write failed and was undone "
                            "error=\"refused by the test\" code=0"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("storage commit.slow: slow store commit ms="), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("threshold_ms=5"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace tern::storage
