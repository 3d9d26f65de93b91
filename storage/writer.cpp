// SPDX-License-Identifier: MIT
// The writer thread: batches of writes under one durable commit.
#include "storage/writer.h"

#include <utility>

#include "log/logger.h"

namespace tern::storage {
namespace {

const log::Logger kLog("storage");

}  // namespace

Writer::Writer(Environment& env, std::size_t max_batch, std::chrono::milliseconds slow_commit,
               std::chrono::milliseconds lazy_delay)
    : env_(env),
      max_batch_(max_batch),
      slow_commit_(slow_commit),
      lazy_delay_(lazy_delay),
      thread_([this] { run(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Writer::submit(Operation operation, Completion completion, Urgency urgency) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // A lazy write wakes the writer only to start its wait, or to commit a full batch: the
    // writer already waiting on the queue's oldest write is woken by its deadline.
    wake = urgency == Urgency::Now || queue_.empty() || queue_.size() + 1 >= max_batch_;
    queue_.push_back(
        {std::move(operation), std::move(completion), urgency, std::chrono::steady_clock::now()});
    urgent_ += urgency == Urgency::Now ? 1 : 0;
  }
  if (wake) {
    wake_.notify_one();
  }
}

std::uint64_t Writer::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::size_t Writer::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t Writer::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void Writer::run() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything submitted is done
      }
      if (urgent_ == 0 && !stopping_) {  // lazy writes alone: they wait for company
        wake_.wait_until(lock, queue_.front().queued_at + lazy_delay_, [this] {
          return stopping_ || urgent_ > 0 || queue_.size() >= max_batch_;
        });
      }
      queue_lengths_.observe(queue_.size());
      while (!queue_.empty() && batch.size() < max_batch_) {
        urgent_ -= queue_.front().urgency == Urgency::Now ? 1 : 0;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    env_.grow_map();  // between transactions: before the map is full, not after
    commit_batch(batch);
    batch.clear();
  }
}

void Writer::commit_batch(std::deque<Pending>& batch) {
  std::vector<Result<void, StorageError>> results;
  results.reserve(batch.size());
  const auto started = std::chrono::steady_clock::now();
  auto micros = [](std::chrono::steady_clock::duration d) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  };
  for (const Pending& write : batch) {
    wait_micros_.observe(micros(started - write.queued_at));
  }
  batch_sizes_.observe(batch.size());
  Result<void, StorageError> committed = commit_together(batch, results);
  while (!committed && committed.error().code == MDB_MAP_FULL && env_.grow_map(/*full=*/true)) {
    results.clear();  // nothing was written: the same batch again, in the grown map
    committed = commit_together(batch, results);
  }
  if (!committed && results.size() < batch.size()) {
    results = commit_isolated(batch, committed);
  } else if (!committed) {
    results.assign(batch.size(), committed);  // the commit itself failed
  }
  const auto took = std::chrono::steady_clock::now() - started;
  commit_micros_.observe(micros(took));
  log_commit(batch.size(), committed, results, took);
  {
    std::lock_guard lock(mutex_);
    ++commits_;
    writes_ += batch.size();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].completion) {
      batch[i].completion(results[i]);
    }
  }
}

Result<void, StorageError> Writer::commit_together(
    std::deque<Pending>& batch, std::vector<Result<void, StorageError>>& results) {
  // Fast path: every write of the batch straight in one transaction. A nested transaction per
  // write would isolate failures, but LMDB allocates and clears a 2 MB dirty-page list for each
  // one; writes almost never fail, so that cost is paid only when one does (commit_isolated).
  return env_.write([&](WriteTxn& txn) {
    for (Pending& p : batch) {
      if (Result<void, StorageError> r = p.operation(txn); !r) {
        return r;  // aborts the whole batch
      }
      results.emplace_back();
    }
    return Result<void, StorageError>();
  });
}

void Writer::log_commit(std::size_t writes, const Result<void, StorageError>& committed,
                        const std::vector<Result<void, StorageError>>& results,
                        std::chrono::steady_clock::duration took) const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  if (!committed) {
    kLog.error("commit.failed", "store commit failed: no write of the batch was stored",
               {{"writes", writes},
                {"error", committed.error().message},
                {"code", committed.error().code}});
  } else {
    for (const Result<void, StorageError>& r : results) {
      if (!r) {
        kLog.error("write.failed", "store write failed and was undone",
                   {{"error", r.error().message}, {"code", r.error().code}});
      }
    }
  }
  if (took > slow_commit_) {
    kLog.warn("commit.slow", "slow store commit",
              {{"ms", ms}, {"writes", writes}, {"threshold_ms", slow_commit_.count()}});
  }
}

std::vector<Result<void, StorageError>> Writer::commit_isolated(
    std::deque<Pending>& batch, Result<void, StorageError>& committed) {
  // Each write in a nested transaction of one parent: a failing write is undone alone.
  std::vector<Result<void, StorageError>> results;
  results.reserve(batch.size());
  committed = env_.write([&](WriteTxn& parent) {
    for (Pending& p : batch) {
      MDB_txn* child_raw = nullptr;
      int rc = mdb_txn_begin(env_.raw(), parent.txn_, 0, &child_raw);
      if (rc != MDB_SUCCESS) {
        results.emplace_back(Err(lmdb_error(rc, "nested transaction")));
        continue;
      }
      WriteTxn child(child_raw, env_.dbis());
      Result<void, StorageError> r = p.operation(child);
      if (r) {
        if ((rc = mdb_txn_commit(child.release())) != MDB_SUCCESS) {
          r = Err(lmdb_error(rc, "nested commit"));
        }
      }  // on failure ~WriteTxn aborts the child: only this write is undone
      results.push_back(std::move(r));
    }
    return Result<void, StorageError>();
  });
  if (!committed) {
    results.assign(batch.size(), committed);
  }
  return results;
}

}  // namespace tern::storage
