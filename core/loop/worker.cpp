// SPDX-License-Identifier: MIT
// The worker thread, its inbox and its orderly stop.
#include "core/loop/worker.h"

#include <cstdlib>

namespace tern::core {

Worker::Worker(unsigned id) : id_(id) {
  if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &wake_, &Worker::on_async) != 0) {
    std::abort();  // only fails when the process is out of file descriptors or memory at start
  }
  wake_.data = this;
}

Worker::~Worker() {
  if (thread_.joinable()) {
    stop();
  }
  uv_loop_close(&loop_);
}

void Worker::start() {
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();  // before the loop runs any of our callbacks
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void Worker::post(Task task) {
  // The wake-up is sent under the lock so that stop() cannot close the handle in between.
  std::lock_guard lock(mutex_);
  if (stopping_) {
    return;  // the worker is gone or going: nothing may run on it any more
  }
  inbox_.push_back(std::move(task));
  uv_async_send(&wake_);
}

void Worker::on_async(uv_async_t* handle) {
  static_cast<Worker*>(handle->data)->drain();
}

void Worker::drain() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      running_.swap(inbox_);
      if (running_.empty()) {
        if (stop_requested_) {
          stopping_ = true;  // under the lock: post() checks it there
          // The wake-up handle is closed last: the loop ends when no handle is left.
          uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
        }
        return;
      }
    }
    for (Task& task : running_) {
      task();
    }
    running_.clear();
  }
}

void Worker::stop(Task on_stop) {
  post([this, on_stop = std::move(on_stop)] {
    if (on_stop) {
      on_stop();
    }
    stop_requested_ = true;  // drain() finishes what on_stop posted, then closes
  });
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace tern::core
