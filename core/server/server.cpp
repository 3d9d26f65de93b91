// SPDX-License-Identifier: MIT
// Server assembly: the store and its writer, TLS, the sessions and the workers; start, stop and
// the store's room.
#include "core/server/server.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "core/server/local_sessions.h"
#include "core/server/worker_state.h"
#include "log/logger.h"
#include "storage/account_store.h"

namespace tern::core {

ModuleOptionTables module_option_tables(const Config& config) {
  ModuleOptionTables tables;
  for (const auto& [module, table] : config.module_options) {
    for (const auto& [key, option] : table) {
      tables[module].emplace(key, ModuleOptions::Value{option.value, option.where});
    }
  }
  return tables;
}

Result<void, std::string> check_modules(const Config& config,
                                        const std::vector<const ModuleInfo*>& modules) {
  // Starting them once without services runs every option check (modules only register in
  // start(); they send nothing).
  for (const VirtualHost& host : config.hosts) {
    auto started = ModuleHost::start(host.domain, config.modules, modules, nullptr,
                                     module_option_tables(config));
    if (!started) {
      // Option errors already say where the value was written; others get the file's name.
      const std::string& e = started.error();
      bool located = e.rfind(config.source, 0) == 0 || e.rfind("--set", 0) == 0;
      return Err(located ? e : config.source + ": " + e);
    }
  }
  return {};
}

namespace {

// c2s.max_connections, kept below what the descriptor limit allows (raised to the hard limit
// first): accept() must not be where the server learns it has run out.
std::size_t connection_cap(const Config& config) {
  const log::Logger log("server");
  net::DescriptorLimits limits = net::raise_descriptor_limit();
  std::size_t allowed = net::connection_cap_for(limits.after);
  std::size_t cap = config.max_connections == 0 ? allowed : config.max_connections;
  if (cap > allowed) {
    log.warn("limit.configured", "max_connections is more than the descriptor limit allows",
             {{"max_connections", static_cast<std::int64_t>(config.max_connections)},
              {"allowed", static_cast<std::int64_t>(allowed)}});
    cap = allowed;
  }
  log.info("server.descriptors", "descriptor limit and connection cap",
           {{"soft_limit_before", static_cast<std::int64_t>(limits.before)},
            {"soft_limit", static_cast<std::int64_t>(limits.after)},
            {"max_connections", static_cast<std::int64_t>(cap)},
            {"max_connections_per_address",
             static_cast<std::int64_t>(config.max_connections_per_address)}});
  return cap;
}

}  // namespace

Result<std::unique_ptr<Server>, std::string> Server::create(
    Config config, std::vector<const ModuleInfo*> modules,
    std::map<std::string, std::string> shared_paths) {
  if (auto checked = check_modules(config, modules); !checked) {
    return Err(checked.error());
  }
  storage::EnvOptions store_options;
  store_options.map_size = config.store_map_size;
  store_options.max_map_size = config.store_max_map_size;
  // Read once, before any worker thread starts.
  const char* spec = std::getenv("TERN_STORE_FAULTS");  // NOLINT(concurrency-mt-unsafe)
  if (spec != nullptr && *spec != 0) {
    // Tests only: commits that fail on purpose (storage/commit_faults.h).
    auto faults = storage::CommitFaults::parse(spec);
    if (!faults) {
      return Err(std::string("TERN_STORE_FAULTS: '") + spec +
                 "' is not commit:N:CODE[:COUNT] with CODE EIO, ENOSPC or MAP_FULL");
    }
    store_options.faults = std::make_shared<storage::CommitFaults>(*faults);
    log::Logger("storage").warn("storage.faults", "store fault injection is on (for tests)",
                                {{"plan", store_options.faults->describe()}});
  }
  auto store = storage::Environment::open(config.storage_path, store_options);
  if (!store) {
    return Err("store " + config.storage_path + ": " + store.error().message);
  }
  auto tls = tls::TlsContext::server(config.hosts, config.storage_path, config.binary);
  if (!tls) {
    return Err("TLS: " + tls.error().message);
  }
  tls::TlsClientOptions client_options;
  client_options.alpn = std::string(tls::kAlpnHttp11);
  client_options.system_trust = true;
  client_options.trust_file = config.http_client_trust_file;
  auto client_tls = tls::TlsContext::client(client_options);
  if (!client_tls) {
    return Err("[http] client_trust_file: " + client_tls.error().message);
  }
  try {
    auto server = std::unique_ptr<Server>(
        new Server(std::move(config), std::move(modules), std::move(store).value(),
                   std::make_unique<tls::TlsContext>(std::move(tls).value()),
                   std::make_unique<tls::TlsContext>(std::move(client_tls).value())));
    server->shared_paths_ = std::move(shared_paths);
    return server;
  } catch (const ModuleStartError& e) {  // a module's store could not be opened
    return Err(std::string(e.what()));
  }
}

Server::Server(Config config, std::vector<const ModuleInfo*> modules,
               std::unique_ptr<storage::Environment> store, std::unique_ptr<tls::TlsContext> tls,
               std::unique_ptr<tls::TlsContext> client_tls)
    : config_(std::move(config)),
      modules_(std::move(modules)),
      store_(std::move(store)),
      tls_(std::move(tls)),
      sessions_(std::make_unique<LocalSessions>(*this)),
      writer_(std::make_unique<storage::Writer>(*store_, 1024, config_.slow_commit,
                                                config_.store_lazy_commit)) {
  http_client_tls_ = std::move(client_tls);
  http_options_.limits = http::RequestLimits{
      config_.http_max_target_bytes, config_.http_max_header_fields, config_.http_max_header_bytes};
  http_options_.max_buffered_body_bytes = config_.http_max_body_bytes;
  http_options_.header_timeout_s = static_cast<std::uint64_t>(config_.http_header_timeout.count());
  http_options_.body_timeout_s = static_cast<std::uint64_t>(config_.http_body_timeout.count());
  http_options_.idle_timeout_s = static_cast<std::uint64_t>(config_.http_idle_timeout.count());
  http_options_.write_timeout_s = static_cast<std::uint64_t>(config_.write_timeout.count());
  http_options_.cors_origins = config_.http_cors_origins;
  // One element per WebSocket message (RFC 7395 §3.3.3): the stanza limit, with room for the
  // framing of a message that is just within it.
  http_options_.websocket_max_message_bytes = config_.limits.max_stanza_bytes + 1024;
  http_options_.consider_websocket_secure = config_.http_consider_websocket_secure;
  http_options_.bosh.max_wait_s = static_cast<std::uint64_t>(config_.http_bosh_max_wait.count());
  http_options_.bosh.inactivity_s =
      static_cast<std::uint64_t>(config_.http_bosh_inactivity.count());
  http_options_.bosh.max_message_bytes = http_options_.websocket_max_message_bytes;
  http_options_.bosh.max_pending_bytes = config_.max_output_bytes;
  bosh_directory_ = std::make_unique<http::BoshDirectory>(
      config_.effective_workers(), [this](unsigned worker, std::function<void()> task) {
        workers_[worker]->worker.post(std::move(task));
      });
  admission_ = std::make_unique<net::ConnectionAdmission>(connection_cap(config_),
                                                          config_.max_connections_per_address);
  auth_throttle_ = std::make_unique<c2s::AuthThrottle>(
      c2s::AuthThrottle::Options{config_.auth_failures_per_account,
                                 config_.auth_failures_per_address, config_.auth_max_lockout});
  for (unsigned i = 0; i < config_.effective_workers(); ++i) {
    workers_.push_back(std::make_unique<WorkerState>(*this, i));
  }
  live_config_ = std::make_unique<Config>(config_);
  if (config_.alerts_enabled) {
    alerts_ = std::make_unique<Alerts>(AlertThresholds{
        config_.alert_session_output_bytes, config_.alert_session_unacked_stanzas,
        config_.alert_loop_lag_ms, config_.alert_writer_queue, config_.alert_commit_ms,
        config_.alert_disk_free_bytes, config_.alert_login_failures_per_minute});
  }
  if (config_.metrics_enabled) {
    metrics_route_ = metrics_route();
    for (auto& ws : workers_) {
      ws->http_env.metrics = &metrics_route_;
      ws->metrics_env.metrics = &metrics_route_;
    }
  }
}

Server::~Server() {
  stop();
  writer_.reset();  // before the workers its completions would post to
}

Result<std::vector<BoundListener>, std::string> Server::start() {
  std::vector<BoundListener> bound;
  enum class Kind { Xmpp, Http, Metrics };
  auto open_all = [&](const std::vector<ListenAddress>& addresses, const char* kind, bool tls,
                      Kind protocol = Kind::Xmpp) -> Result<void, std::string> {
    for (ListenAddress address : addresses) {
      // Port 0: the first worker's socket picks a port, the others share it (SO_REUSEPORT).
      for (auto& state : workers_) {
        WorkerState* ws = state.get();
        auto listener = net::Listener::open(
            ws->worker.loop(), address, *admission_, kind,
            [ws, tls, protocol](int fd, const sockaddr_storage& peer) {
              if (protocol == Kind::Http) {
                http::HttpConnection::accept(ws->worker.loop(), fd, peer, ws->http_env, tls);
              } else if (protocol == Kind::Metrics) {
                http::HttpConnection::accept(ws->worker.loop(), fd, peer, ws->metrics_env, false);
              } else {
                net::Connection::accept(ws->worker.loop(), fd, peer, ws->env, tls);
              }
            });
        if (!listener) {
          return Err(listener.error());
        }
        address.port = (*listener)->port();
        ws->listeners.push_back(*listener);
      }
      bound.push_back(BoundListener{kind, address});
    }
    return {};
  };
  if (auto r = open_all(config_.starttls_listeners, "starttls", false); !r) {
    return Err(r.error());
  }
  if (auto r = open_all(config_.direct_tls_listeners, "direct_tls", true); !r) {
    return Err(r.error());
  }
  if (auto r = open_all(config_.https_listeners, "https", true, Kind::Http); !r) {
    return Err(r.error());
  }
  if (auto r = open_all(config_.http_listeners, "http", false, Kind::Http); !r) {
    return Err(r.error());
  }
  if (config_.metrics_enabled) {
    if (auto r = open_all(config_.metrics_listeners, "metrics", false, Kind::Metrics); !r) {
      return Err(r.error());
    }
  }
  // The first TLS listener (the first plain one without), as clients reach it by name.
  for (const BoundListener& listener : bound) {
    if (listener.kind == "https" || listener.kind == "http") {
      http_default_base_ = listener.kind + "://{host}:" + std::to_string(listener.address.port);
      break;
    }
  }
  if (config_.admin_enabled) {
    auto admin =
        admin::AdminListener::open(workers_[0]->worker.loop(), config_.admin_socket,
                                   [this](std::vector<std::string> args, admin::Reply reply) {
                                     admin_command(std::move(args), std::move(reply));
                                   });
    if (!admin) {
      return Err(admin.error());
    }
    admin_ = std::move(admin).value();
  }
  for (auto& state : workers_) {
    uv_timer_start(&state->tick, &WorkerState::on_tick, 1000, 1000);
    uv_timer_start(&state->lag_probe, &WorkerState::on_lag_probe, WorkerState::kLagProbeMs,
                   WorkerState::kLagProbeMs);
    uv_check_start(&state->flusher, &WorkerState::on_check);
    uv_prepare_start(&state->pre_poll_flusher, &WorkerState::on_prepare);
    state->worker.start();
  }
  if (!config_.activity_file.empty()) {
    activity_ = std::make_unique<ActivityRecorder>(
        ActivityOptions{config_.activity_file, config_.activity_max_bytes, config_.activity_keep},
        [this] { return sample_activity(); });
  }
  running_ = true;
  return bound;
}

void Server::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  {
    // A reload in progress (a thread of libuv's pool, waiting for every worker) finishes before
    // the workers stop; later ones are refused (reload.cpp).
    std::lock_guard lock(reload_mutex_);
    stopping_ = true;
  }
  activity_.reset();  // its thread reads the workers' figures: stopped first
  // The modules say goodbye while every session is still open (ModuleContext::on_stopping), on
  // every worker; then one more turn of each, so that what they sent to another worker's
  // sessions (an inbox is first in, first out) is written before the streams end.
  on_every_worker([](WorkerState& ws) { ws.host.run_stopping(); });
  on_every_worker([](WorkerState&) {});
  for (auto& state : workers_) {
    WorkerState* ws = state.get();
    ws->worker.stop([this, ws] {
      if (ws->worker.id() == 0 && admin_) {
        admin_->close();
      }
      ws->host.drop_delayed();
      uv_close(reinterpret_cast<uv_handle_t*>(&ws->tick), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&ws->lag_probe), nullptr);
      ws->http_client->close();
      uv_close(reinterpret_cast<uv_handle_t*>(&ws->flusher), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&ws->pre_poll_flusher), nullptr);
      for (net::Listener* listener : ws->listeners) {
        listener->close();
      }
      ws->listeners.clear();
      std::vector<net::Connection*> open;
      for (const auto& [id, connection] : ws->connections.all()) {
        open.push_back(connection);
      }
      for (net::Connection* connection : open) {
        connection->shutdown();
      }
      std::vector<http::HttpConnection*> open_http;
      for (const auto& [id, connection] : ws->http_connections.all()) {
        open_http.push_back(connection);
      }
      for (http::HttpConnection* connection : open_http) {
        connection->shutdown();
      }
      ws->bosh.shutdown();
      ws->expire_detached(0, true);  // their unacknowledged messages go to the offline queues
    });
  }
  // The workers have stopped: the modules stop now, while the writer still takes what they
  // write on the way out (ModuleHost::stop_modules).
  for (auto& state : workers_) {
    state->host.stop_modules();
  }
  // Writes still queued commit now; their completions find the workers stopped and are dropped.
  writer_.reset();
}

void Server::on_every_worker(const std::function<void(WorkerState&)>& fn) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t pending = workers_.size();
  for (auto& state : workers_) {
    WorkerState* ws = state.get();
    ws->worker.post([&, ws] {
      fn(*ws);
      std::lock_guard lock(mutex);
      if (--pending == 0) {
        done.notify_one();
      }
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return pending == 0; });
}

bool Server::workers_turning(std::chrono::milliseconds stale) const {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  for (const auto& ws : workers_) {
    const std::chrono::steady_clock::duration last(ws->last_tick.load(std::memory_order_relaxed));
    if (now - last > stale) {
      return false;
    }
  }
  return true;
}

void Server::watch_store(std::uint64_t now) {
  if (now < store_watched_at_ + kStoreWatchSeconds) {
    return;
  }
  store_watched_at_ = now;
  storage::StoreUse use = store_->use();
  bool short_of_room = use.room() < config_.store_min_room;
  if (short_of_room == store_short_of_room_.load(std::memory_order_relaxed)) {
    return;
  }
  store_short_of_room_.store(short_of_room, std::memory_order_relaxed);
  log::Fields fields{{"room", use.room()},         {"min_room", config_.store_min_room},
                     {"disk_free", use.disk_free}, {"map_used", use.map_used},
                     {"map_size", use.map_size},   {"max_map_size", use.map_limit}};
  const log::Logger log("server");
  if (short_of_room) {
    log.warn("storage.low",
             "the store is short of room: new offline messages are refused until it has room",
             fields);
  } else {
    log.info("storage.recovered", "the store has room again: offline storage resumes", fields);
  }
}

std::string Server::http_base_url(std::string_view host) const {
  std::string base = config_.http_public_url.empty() ? http_default_base_ : config_.http_public_url;
  for (std::size_t at = base.find("{host}"); at != std::string::npos; at = base.find("{host}")) {
    base.replace(at, 6, host);
  }
  return base;
}

bool Server::account_exists(std::string_view bare_jid) const {
  auto txn = store_->read();
  return txn && storage::AccountStore::exists(*txn, bare_jid);
}

}  // namespace tern::core
