// SPDX-License-Identifier: MIT
// Server: builds the running server from a Config — the store and its writer, the TLS context,
// the sessions (LocalSessions), one worker per core each with its own SO_REUSEPORT listeners —
// and stops it in order. The parts, one role per file in this folder:
//   server.cpp          assembly, start and stop, the store's room
//   worker_state.h/.cpp one worker: its loop, connections, timeouts, ticks and detached sessions
//   worker_host.h/.cpp  what a worker's sessions and modules see (c2s::SessionHost,
//                       ModuleServices): binding, routing, features, store writes
//   resumption.cpp      XEP-0198 detach and resume, across workers
//   local_sessions.h/.cpp  where sessions are and delivery to them (the Sessions seam)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/admin/admin_listener.h"
#include "core/c2s/auth_throttle.h"
#include "core/config/config.h"
#include "core/http/bosh_service.h"
#include "core/http/http_connection.h"
#include "core/module/module_host.h"
#include "core/net/admission.h"
#include "core/router/session_registry.h"
#include "core/server/activity_recorder.h"
#include "core/server/alerts.h"
#include "storage/env.h"
#include "storage/writer.h"
#include "tls/tls_context.h"

namespace tern::core {

struct BoundListener {
  std::string kind;       // "starttls", "direct_tls", "http" or "https"
  ListenAddress address;  // with the actual port
};

// The [modules.NAME] tables of `config` as the module host takes them.
ModuleOptionTables module_option_tables(const Config& config);
// Whether every enabled module exists and accepts its options (ternd --check-config, start).
Result<void, std::string> check_modules(const Config& config,
                                        const std::vector<const ModuleInfo*>& modules);

class Server final {
 public:
  // Opens the store and the TLS context (generating self-signed certificates if needed) and
  // checks that every enabled module is one of `modules`.
  // `shared_paths`: the modules among them loaded from shared objects, by name, and from where
  // (`ternctl module reload NAME` loads the file again).
  static Result<std::unique_ptr<Server>, std::string> create(
      Config config, std::vector<const ModuleInfo*> modules,
      std::map<std::string, std::string> shared_paths = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens every listener on every worker and starts the workers.
  Result<std::vector<BoundListener>, std::string> start();
  // Closes listeners and sessions (system-shutdown), joins the workers, stops the modules and
  // commits what is left to write.
  void stop();

  const Config& config() const { return config_; }

  // Reads the configuration again and applies what can change live (reload.cpp,
  // docs/operations.md). From any thread but a worker's; one at a time.
  struct ReloadResult {
    bool ok = false;
    std::string text;  // what was applied, what needs a restart, or why it was refused
  };
  ReloadResult reload();
  // `ternctl module reload NAME`: loads NAME's shared object again and restarts the modules on
  // every worker with the new code (reload.cpp). Refused, the old code running on, when NAME is
  // built in, the file does not load or is built against another API version.
  ReloadResult reload_module(const std::string& name);
  // Whether every worker's loop turned (its once-a-second tick ran) within `stale`: the
  // watchdog's question (ternd/service_manager.h). Thread-safe.
  bool workers_turning(std::chrono::milliseconds stale) const;
  // What /metrics finds on one worker (metrics.cpp).
  struct WorkerFigures;
  const tls::TlsContext& tls() const { return *tls_; }

 private:
  class WorkerHost;     // worker_host.h
  struct WorkerState;   // worker_state.h
  class LocalSessions;  // local_sessions.h

  Server(Config config, std::vector<const ModuleInfo*> modules,
         std::unique_ptr<storage::Environment> store, std::unique_ptr<tls::TlsContext> tls,
         std::unique_ptr<tls::TlsContext> client_tls);
  bool account_exists(std::string_view bare_jid) const;
  // ModuleContext::http_url's base for `host` (see [http] public_url).
  std::string http_base_url(std::string_view host) const;
  // Checks the store's room (every kStoreWatchSeconds) and logs when it falls below or rises
  // above [storage] min_room.
  void watch_store(std::uint64_t now);
  static constexpr std::uint64_t kStoreWatchSeconds = 2;
  // Runs `fn` on every worker's thread and returns once all have (from another thread).
  void on_every_worker(const std::function<void(WorkerState&)>& fn);
  // Every worker's figures, walked on their own threads without blocking any; `done` gets them
  // on worker `origin`. `for_alerts`: each worker also hands over, and resets, its worst loop
  // lag since the last such call (metrics.cpp).
  void gather(unsigned origin, bool for_alerts,
              std::function<void(std::vector<WorkerFigures>)> done);
  // /metrics: the Prometheus text of the gathered figures, on worker `origin`.
  void scrape(unsigned origin, std::function<void(std::string)> done);
  // Every [alerts] interval (worker 0's tick): gathers and checks the thresholds (alerts.h).
  void check_alerts(std::uint64_t now);
  // The admin socket's commands (admin_commands.cpp), on worker 0.
  void admin_command(std::vector<std::string> args, admin::Reply reply);
  void admin_status(admin::Reply reply);
  void admin_sessions(std::optional<xmpp::Jid> wanted, std::size_t top, admin::Reply reply);
  void admin_kick(const xmpp::Jid& jid, std::string reason, admin::Reply reply);
  void admin_announce(const std::string& text, admin::Reply reply);
  template <class T>
  void on_workers_then_admin(std::function<T(WorkerState&)> collect,
                             std::function<void(std::vector<T>)> done);
  HttpRoute metrics_route();
  std::string render_metrics(const std::vector<WorkerFigures>& figures) const;
  HttpRoute metrics_route_;  // served by every worker (HttpEnv::metrics)

  Config config_;
  std::vector<const ModuleInfo*> modules_;  // replaced entries: under modules_mutex_
  mutable std::mutex modules_mutex_;
  std::map<std::string, std::string> shared_paths_;  // module → shared object (reload_module)
  std::unique_ptr<storage::Environment> store_;
  std::atomic<bool> store_short_of_room_{false};  // see watch_store()
  SharedStates module_states_;                    // ModuleContext::shared(), across workers
  std::uint64_t store_watched_at_ = 0;            // worker 0's clock
  std::unique_ptr<Alerts> alerts_;                // [alerts]
  std::unique_ptr<admin::AdminListener> admin_;   // [admin] socket, on worker 0's loop
  std::unique_ptr<ActivityRecorder> activity_;    // [activity] file, its own thread
  ActivitySample sample_activity() const;         // metrics.cpp
  // Modules' gauges (ModuleContext::add_gauge), by name; the last registration wins.
  void add_module_gauge(const std::string& name, const std::string& help,
                        std::function<double()> read);
  struct ModuleGauge {
    std::string help;
    std::function<double()> read;
  };
  mutable std::mutex module_gauges_mutex_;
  std::map<std::string, ModuleGauge> module_gauges_;
  std::mutex reload_mutex_;
  bool stopping_ = false;                // under reload_mutex_: stop() began, reloads are refused
  std::unique_ptr<Config> live_config_;  // what the last reload read (reload_mutex_)
  std::vector<std::unique_ptr<tls::TlsContext>> retired_tls_;  // replaced by reloads
  std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  std::uint64_t alerts_checked_at_ = 0;  // worker 0's clock
  bool alerts_checking_ = false;         // a check's gathering is on its way (worker 0)
  std::unique_ptr<tls::TlsContext> tls_;
  // Places for client connections, below the descriptor limit (c2s.max_connections).
  std::unique_ptr<net::ConnectionAdmission> admission_;
  // Failed logins per account and per address (c2s.auth_failures_per_*).
  std::unique_ptr<c2s::AuthThrottle> auth_throttle_;
  std::unique_ptr<LocalSessions> sessions_;
  http::HttpOptions http_options_;  // [http], shared by every worker's connections
  // Which worker holds each BOSH session (before the workers: they attach to it).
  std::unique_ptr<http::BoshDirectory> bosh_directory_;
  // The HTTP client's TLS: the system's trust store and [http] client_trust_file.
  std::unique_ptr<tls::TlsContext> http_client_tls_;
  // "https://{host}:5281": the first HTTP listener as bound, set by start() before any worker
  // runs (read by them afterwards, never written again).
  std::string http_default_base_;
  // XEP-0198 resumption ids → where the session is, and whose it is.
  struct Resumable {
    SessionHandle handle;
    std::string bare_jid;
  };
  std::mutex resumable_mutex_;
  std::unordered_map<std::string, Resumable> resumable_;
  std::vector<std::unique_ptr<WorkerState>> workers_;
  // The one writer thread (group commit). Declared last so that it goes first: its completions
  // post to the workers.
  std::unique_ptr<storage::Writer> writer_;
  bool running_ = false;
};

}  // namespace tern::core
