// SPDX-License-Identifier: MIT
// The writer thread: batches of nested transactions under one durable commit.
#include "storage/writer.h"

#include <utility>

namespace tern::storage {

Writer::Writer(Environment& env, std::size_t max_batch)
    : env_(env), max_batch_(max_batch), thread_([this] { run(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Writer::submit(Operation operation, Completion completion) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(operation), std::move(completion)});
  }
  wake_.notify_one();
}

std::uint64_t Writer::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
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
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void Writer::commit_batch(std::deque<Pending>& batch) {
  std::vector<Result<void, StorageError>> results;
  results.reserve(batch.size());
  Result<void, StorageError> committed = env_.write([&](WriteTxn& parent) {
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
  {
    std::lock_guard lock(mutex_);
    ++commits_;
    writes_ += batch.size();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].completion) {
      batch[i].completion(committed ? results[i] : committed);
    }
  }
}

}  // namespace tern::storage
