// SPDX-License-Identifier: MIT
#include "core/server/worker_host.h"

#include "core/server/worker_state.h"

namespace tern::core {

void Server::WorkerHost::write(StoreWrite write, StoreDone done) {
  if (!server_.writer_ || worker_id_ >= server_.workers_.size()) {
    return done(StoreStatus{});  // stopping, or a module's stop() after its start failed
  }
  Worker& worker = server_.workers_[worker_id_]->worker;
  // A failed write is logged by the writer (storage write.failed).
  const storage::Environment& store = *server_.store_;
  server_.writer_->submit(std::move(write), [&worker, &store, done = std::move(done)](
                                                const Result<void, storage::StorageError>& r) {
    // A short write on a full disk comes back as EIO: the room left tells the two apart.
    StoreStatus status{r.ok(), !r.ok() && (r.error().out_of_space() || store.short_of_room())};
    worker.post([done, status] { done(status); });
  });
}

void Server::WorkerHost::post(std::function<void()> task) {
  server_.workers_[worker_id_]->worker.post(std::move(task));
}

}  // namespace tern::core
