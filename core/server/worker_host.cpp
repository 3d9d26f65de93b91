// SPDX-License-Identifier: MIT
#include "core/server/worker_host.h"

#include <algorithm>
#include <functional>
#include <set>

#include "core/server/worker_state.h"

namespace tern::core {

void Server::WorkerHost::write(StoreWrite write, StoreDone done) {
  submit_write(std::move(write), std::move(done), storage::Writer::Urgency::Now);
}

void Server::WorkerHost::write_lazily(StoreWrite write, StoreDone done) {
  submit_write(std::move(write), std::move(done), storage::Writer::Urgency::Lazy);
}

void Server::WorkerHost::submit_write(StoreWrite write, StoreDone done,
                                      storage::Writer::Urgency urgency) {
  if (!server_.writer_ || worker_id_ >= server_.workers_.size()) {
    return done(StoreStatus{});  // stopping, or a module's stop() after its start failed
  }
  Worker& worker = server_.workers_[worker_id_]->worker;
  // A failed write is logged by the writer (storage write.failed).
  const storage::Environment& store = *server_.store_;
  server_.writer_->submit(
      std::move(write),
      [&worker, &store, done = std::move(done)](const Result<void, storage::StorageError>& r) {
        // A short write on a full disk comes back as EIO: the room left tells the two apart.
        StoreStatus status{r.ok(), !r.ok() && (r.error().out_of_space() || store.short_of_room())};
        worker.post([done, status] { done(status); });
      },
      urgency);
}

bool Server::WorkerHost::to_served_domain(xmpp::StanzaPtr& stanza, const xmpp::Jid& to) {
  bool served = std::any_of(modules_.begin(), modules_.end(),
                            [&to](const auto& m) { return m->serves_domain(to.domain()); });
  if (!served) {
    return false;
  }
  std::size_t workers = server_.workers_.size();
  auto shard = static_cast<unsigned>(std::hash<std::string_view>()(to.bare_view()) % workers);
  if (shard == worker_id_) {
    deliver_to_served_domain(std::move(stanza), std::string(to.domain()));
    return true;
  }
  // std::function needs a copyable task: the stanza travels in a shared_ptr, taken out once.
  auto travelling = std::make_shared<xmpp::StanzaPtr>(std::move(stanza));
  WorkerState& target = *server_.workers_[shard];
  target.worker.post([&target, travelling, domain = std::string(to.domain())] {
    target.host.deliver_to_served_domain(std::move(*travelling), domain);
  });
  return true;
}

void Server::WorkerHost::deliver_to_served_domain(xmpp::StanzaPtr stanza,
                                                  const std::string& domain) {
  for (const auto& m : modules_) {
    if (m->dispatch_to_domain(stanza, domain)) {
      return;
    }
  }
}

void Server::WorkerHost::post(std::function<void()> task) {
  server_.workers_[worker_id_]->worker.post(std::move(task));
}

namespace {

struct OffloadedJob {
  uv_work_t request{};
  std::function<void()> job;
  std::function<void()> done;
  std::string error;
};

const log::Logger kModulesLog("modules");

}  // namespace

namespace {

struct DelayedTask {
  uv_timer_t timer{};
  std::function<void()> task;
  std::set<uv_timer_t*>* pending = nullptr;
};

}  // namespace

void Server::WorkerHost::after(std::chrono::milliseconds delay, std::function<void()> task) {
  WorkerState& ws = *server_.workers_[worker_id_];
  if (!ws.worker.on_this_thread()) {
    return ws.worker.post(
        [this, delay, task = std::move(task)]() mutable { after(delay, std::move(task)); });
  }
  if (delayed_dropped_) {
    return;  // the server is stopping: a retry chain must not keep the worker's loop alive
  }
  auto* delayed = new DelayedTask{{}, std::move(task), &ws.delayed};
  uv_timer_init(ws.worker.loop(), &delayed->timer);
  delayed->timer.data = delayed;
  ws.delayed.insert(&delayed->timer);
  uv_timer_start(
      &delayed->timer,
      [](uv_timer_t* timer) {
        auto* d = static_cast<DelayedTask*>(timer->data);
        d->pending->erase(timer);
        std::function<void()> task = std::move(d->task);
        uv_close(reinterpret_cast<uv_handle_t*>(timer),
                 [](uv_handle_t* h) { delete static_cast<DelayedTask*>(h->data); });
        try {
          task();
        } catch (const std::exception& e) {
          kModulesLog.error("module.exception", "a delayed task threw", {{"error", e.what()}});
        }
      },
      static_cast<std::uint64_t>(std::max<std::int64_t>(delay.count(), 1)), 0);
}

void Server::WorkerHost::drop_delayed() {
  delayed_dropped_ = true;
  WorkerState& ws = *server_.workers_[worker_id_];
  for (uv_timer_t* timer : ws.delayed) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete static_cast<DelayedTask*>(h->data); });
  }
  ws.delayed.clear();
}

void Server::WorkerHost::http_request(HttpClientRequest request, HttpClientDone done) {
  WorkerState& ws = *server_.workers_[worker_id_];
  if (!ws.worker.on_this_thread()) {
    return ws.worker.post([this, request = std::move(request), done = std::move(done)]() mutable {
      http_request(std::move(request), std::move(done));
    });
  }
  ws.http_client->request(std::move(request), std::move(done));
}

void Server::WorkerHost::offload(std::function<void()> job, std::function<void()> done) {
  Worker& worker = server_.workers_[worker_id_]->worker;
  if (!worker.on_this_thread()) {
    // uv_queue_work belongs to the loop's thread (and before the worker runs, to nobody).
    return worker.post([this, job = std::move(job), done = std::move(done)]() mutable {
      offload(std::move(job), std::move(done));
    });
  }
  auto* work = new OffloadedJob{{}, std::move(job), std::move(done), {}};
  work->request.data = work;
  const int queued = uv_queue_work(
      worker.loop(), &work->request,
      [](uv_work_t* request) {
        auto* w = static_cast<OffloadedJob*>(request->data);
        try {
          w->job();
        } catch (const std::exception& e) {
          w->error = e.what();
        }
      },
      [](uv_work_t* request, int status) {
        std::unique_ptr<OffloadedJob> w(static_cast<OffloadedJob*>(request->data));
        if (!w->error.empty()) {
          kModulesLog.error("module.exception", "an offloaded job threw", {{"error", w->error}});
        }
        if (status != 0 || !w->done) {
          return;  // cancelled
        }
        try {
          w->done();
        } catch (const std::exception& e) {
          kModulesLog.error("module.exception", "an offloaded job's completion threw",
                            {{"error", e.what()}});
        }
      });
  if (queued != 0) {
    delete work;
  }
}

Result<void, std::string> Server::WorkerHost::reload_modules(const Config& fresh) {
  std::vector<std::unique_ptr<ModuleHost>> started;
  for (const auto& old : modules_) {  // the hosts stay (they cannot change live)
    Result<std::unique_ptr<ModuleHost>, std::string> host = Err(std::string());
    try {
      host = ModuleHost::start(std::string(old->host()), fresh.modules, server_.modules_, this,
                               module_option_tables(fresh));
    } catch (const std::exception& e) {  // a module's start() that throws stops the reload only
      host = Err(std::string("a module's start() threw: ") + e.what());
    }
    if (!host) {
      for (auto& s : started) {
        s->stop_modules();
        retired_.push_back(std::move(s));
      }
      return Err(host.error());
    }
    started.push_back(std::move(host).value());
  }
  for (auto& old : modules_) {
    old->stop_modules();
    retired_.push_back(std::move(old));
  }
  modules_ = std::move(started);
  return {};
}

}  // namespace tern::core
