// SPDX-License-Identifier: MIT
#include "storage/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "log/backend.h"
#include "storage/commit_faults.h"
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

// A commit that fails (EIO on the second one here) fails every write of its batch and writes
// nothing of it; the writer goes on, and the next batch commits.
TEST_F(WriterTest, AFailedCommitFailsItsWholeBatchAndTheNextOneCommits) {
  env_.reset();
  EnvOptions options;
  options.faults = std::make_shared<CommitFaults>(2, EIO);
  auto opened = Environment::open(dir_, options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  env_ = std::move(opened).value();
  std::vector<Result<void, StorageError>> results(3);
  {
    Writer writer(env());
    for (int i = 0; i < 3; ++i) {  // one write per batch: commits 1, 2 and 3
      std::promise<void> done;
      std::future<void> written = done.get_future();
      writer.submit([i](WriteTxn& txn) { return txn.put(Db::Meta, "w" + std::to_string(i), "v"); },
                    [&results, &done, i](const Result<void, StorageError>& r) {
                      results[static_cast<std::size_t>(i)] = r;
                      done.set_value();
                    });
      written.wait();
    }
  }
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code, EIO);
  EXPECT_TRUE(results[2].ok());
  auto txn = env().read();
  EXPECT_TRUE(txn->get(Db::Meta, "w0").has_value());
  EXPECT_FALSE(txn->get(Db::Meta, "w1").has_value());
  EXPECT_TRUE(txn->get(Db::Meta, "w2").has_value());
}

TEST(CommitFaults, ParsesItsPlanAndFailsTheCommitsItNames) {
  EXPECT_FALSE(CommitFaults::parse("").has_value());
  EXPECT_FALSE(CommitFaults::parse("commit:0:EIO").has_value());
  EXPECT_FALSE(CommitFaults::parse("commit:3:EBADF").has_value());
  EXPECT_FALSE(CommitFaults::parse("write:3:EIO").has_value());
  EXPECT_FALSE(CommitFaults::parse("commit:3:EIO:0").has_value());
  auto plan = CommitFaults::parse("commit:2:MAP_FULL:2");
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->describe(), "commits 2 to 3 fail with MAP_FULL");
  std::vector<int> codes;
  for (int i = 0; i < 5; ++i) {
    codes.push_back(plan->next());
  }
  EXPECT_EQ(codes, (std::vector<int>{0, MDB_MAP_FULL, MDB_MAP_FULL, 0, 0}));
  EXPECT_EQ(CommitFaults::parse("commit:1:ENOSPC")->next(), ENOSPC);
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

// Lazy writes submitted one at a time, far apart for a writer (each waits for its completion's
// turn no more than the test loop takes), share one commit: the first waits up to the lazy
// delay for company.
TEST_F(WriterTest, LazyWritesWaitForCompanyAndShareACommit) {
  Writer writer(env(), 1024, Writer::kDefaultSlowCommit, std::chrono::milliseconds(500));
  std::promise<void> all_done;
  std::atomic<int> remaining{20};
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    writer.submit([i](WriteTxn& txn) { return txn.put(Db::Meta, "l" + std::to_string(i), "x"); },
                  [&](const Result<void, StorageError>& r) {
                    EXPECT_TRUE(r.ok());
                    if (--remaining == 0) {
                      all_done.set_value();
                    }
                  },
                  Writer::Urgency::Lazy);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  all_done.get_future().wait();
  EXPECT_EQ(writer.commits(), 1U) << "20 lazy writes within the delay should share a commit";
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(450))
      << "the first lazy write waited for the delay";
}

// A write that may not wait takes the lazy writes queued before it along at once, in order.
TEST_F(WriterTest, AnUrgentWriteCommitsTheLazyOnesBeforeIt) {
  Writer writer(env(), 1024, Writer::kDefaultSlowCommit, std::chrono::seconds(30));
  std::vector<int> order;
  std::mutex order_mutex;
  auto note = [&](int i) {
    return [&, i](const Result<void, StorageError>& r) {
      EXPECT_TRUE(r.ok());
      std::lock_guard lock(order_mutex);
      order.push_back(i);
    };
  };
  writer.submit([](WriteTxn& txn) { return txn.put(Db::Meta, "lazy", "1"); }, note(1),
                Writer::Urgency::Lazy);
  std::promise<void> urgent_done;
  auto started = std::chrono::steady_clock::now();
  writer.submit([](WriteTxn& txn) { return txn.put(Db::Meta, "urgent", "2"); },
                [&](const Result<void, StorageError>& r) {
                  note(2)(r);
                  urgent_done.set_value();
                });
  urgent_done.get_future().wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  std::lock_guard lock(order_mutex);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(writer.commits(), 1U);
}

// Stopping does not wait out the lazy delay, and loses no lazy write.
TEST_F(WriterTest, StoppingCommitsLazyWritesWithoutWaitingOutTheDelay) {
  auto started = std::chrono::steady_clock::now();
  std::atomic<int> ok{0};
  {
    Writer writer(env(), 1024, Writer::kDefaultSlowCommit, std::chrono::seconds(30));
    writer.submit([](WriteTxn& txn) { return txn.put(Db::Meta, "lazy", "1"); },
                  [&](const Result<void, StorageError>& r) { ok += r.ok() ? 1 : 0; },
                  Writer::Urgency::Lazy);
  }
  EXPECT_EQ(ok.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_TRUE(env().read()->get(Db::Meta, "lazy").has_value());
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
