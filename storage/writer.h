// SPDX-License-Identifier: MIT
// Writer: the one thread that writes to the store, with group commit. Event loops never wait on
// a disk sync: they submit a write and get a completion later. The writer takes every write
// queued since its last commit, runs them in one transaction and commits it with a single sync;
// then it runs each write's completion. If a write fails, the batch is rolled back and run again
// with each write in a nested transaction, so one failing write does not undo the others. Between
// batches it grows the store's map before it is full; a batch that meets a full map anyway is
// run again once the map has grown.
// Throughput stays high under load because the cost of a sync is shared by the whole batch.
// A lazy write (nobody is told it is safe: a room's archive) may wait up to `lazy_delay` for
// others to share its commit; a queue of lazy writes alone is committed when its oldest is that
// old, when the batch is full, or with the next write that may not wait.
// It logs (component "storage") every write that failed and every commit slower than a threshold.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/counter.h"
#include "storage/env.h"

namespace tern::storage {

class Writer {
 public:
  using Operation = std::function<Result<void, StorageError>(WriteTxn&)>;
  // Runs on the writer thread once the write is durable (ok) or has failed. Whoever needs the
  // result on another thread posts it there (core does, to the submitting worker).
  using Completion = std::function<void(const Result<void, StorageError>&)>;

  // Whether a write may wait for company before its commit.
  enum class Urgency : std::uint8_t { Now, Lazy };

  static constexpr std::chrono::milliseconds kDefaultSlowCommit{100};
  static constexpr std::chrono::milliseconds kDefaultLazyDelay{20};

  // A commit (the batch's writes and the sync) taking longer than `slow_commit` is logged.
  explicit Writer(Environment& env, std::size_t max_batch = 1024,
                  std::chrono::milliseconds slow_commit = kDefaultSlowCommit,
                  std::chrono::milliseconds lazy_delay = kDefaultLazyDelay);
  // Finishes every write already submitted, then stops.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Thread-safe. Writes commit in submission order.
  void submit(Operation operation, Completion completion, Urgency urgency = Urgency::Now);

  // Statistics, for tests and metrics.
  std::uint64_t commits() const;
  std::uint64_t writes() const;
  // For /metrics: writes waiting now, and histograms the writer thread alone updates
  // (metrics/counter.h): writes per commit, a commit's time (writes and sync) and how long a
  // write waited in the queue before its commit started, in microseconds.
  std::size_t queued() const;
  const metrics::Histogram& batch_sizes() const { return batch_sizes_; }
  // Writes waiting, seen each time a batch is taken (before it is taken).
  const metrics::Histogram& queue_lengths() const { return queue_lengths_; }
  const metrics::Histogram& commit_micros() const { return commit_micros_; }
  const metrics::Histogram& wait_micros() const { return wait_micros_; }

 private:
  struct Pending {
    Operation operation;
    Completion completion;
    Urgency urgency = Urgency::Now;
    std::chrono::steady_clock::time_point queued_at;
  };

  void run();
  void commit_batch(std::deque<Pending>& batch);
  // The batch in one transaction; results gets one entry per write that ran (all, on success).
  Result<void, StorageError> commit_together(std::deque<Pending>& batch,
                                             std::vector<Result<void, StorageError>>& results);
  // Failed writes (error) and a commit slower than slow_commit_ (warn).
  void log_commit(std::size_t writes, const Result<void, StorageError>& committed,
                  const std::vector<Result<void, StorageError>>& results,
                  std::chrono::steady_clock::duration took) const;
  // The slow path after a write failed: each write in its own nested transaction.
  std::vector<Result<void, StorageError>> commit_isolated(std::deque<Pending>& batch,
                                                          Result<void, StorageError>& committed);

  Environment& env_;
  std::size_t max_batch_;
  std::chrono::milliseconds slow_commit_;
  std::chrono::milliseconds lazy_delay_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::size_t urgent_ = 0;  // writes in queue_ that may not wait
  bool stopping_ = false;
  std::uint64_t commits_ = 0;
  std::uint64_t writes_ = 0;
  metrics::Histogram batch_sizes_{metrics::kItems};
  metrics::Histogram queue_lengths_{metrics::kItems};
  metrics::Histogram commit_micros_{metrics::kLatencyMicros};
  metrics::Histogram wait_micros_{metrics::kLatencyMicros};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tern::storage
