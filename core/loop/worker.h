// SPDX-License-Identifier: MIT
// Worker: one thread running one libuv loop. Sessions live on one worker for their whole life;
// other threads reach a worker only through post(), a mutex-protected inbox drained in batches by
// a uv_async_t (many posts between two wake-ups cost one wake-up).
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::core {

class Worker {
 public:
  using Task = std::function<void()>;

  explicit Worker(unsigned id);
  ~Worker();  // stops and joins if still running
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  unsigned id() const { return id_; }
  uv_loop_t* loop() { return &loop_; }
  // Whether the calling thread is this worker's.
  bool on_this_thread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // Starts the loop thread. Handles may be set up on the loop before this.
  void start();
  // Runs `task` on this worker's thread, soon. Thread-safe; tasks run in posting order.
  void post(Task task);
  // Runs `on_stop` on the loop thread (to close the worker's handles), then ends the loop once
  // every handle is closed, and joins. Call from another thread.
  void stop(Task on_stop = nullptr);

 private:
  static void on_async(uv_async_t* handle);
  void drain();

  unsigned id_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::mutex mutex_;
  std::vector<Task> inbox_;
  std::vector<Task> running_;    // swapped with inbox_ while draining
  bool stopping_ = false;        // guarded by mutex_
  bool stop_requested_ = false;  // loop thread only
  std::thread thread_;
  // Read by every thread (deliveries ask "is this my worker?"), written once by start().
  std::atomic<std::thread::id> thread_id_{};
};

}  // namespace tern::core
