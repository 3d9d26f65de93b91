// SPDX-License-Identifier: MIT
// Server: builds the running server from a Config — the store, the TLS context, one Worker per
// core each with its own SO_REUSEPORT listeners, the session registry and the router — and stops
// it in order. It is also what sessions see as their SessionHost and what the router uses to
// deliver (Delivery): both need to know on which worker a session lives.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config/config.h"
#include "core/loop/worker.h"
#include "core/module/module_host.h"
#include "core/net/admission.h"
#include "core/net/connection.h"
#include "core/net/listener.h"
#include "core/router/router.h"
#include "core/router/session_registry.h"
#include "storage/env.h"
#include "storage/writer.h"
#include "tls/tls_context.h"

namespace tern::core {

struct BoundListener {
  std::string kind;       // "starttls" or "direct_tls"
  ListenAddress address;  // with the actual port
};

// The [modules.NAME] tables of `config` as the module host takes them.
ModuleOptionTables module_option_tables(const Config& config);
// Whether every enabled module exists and accepts its options (ternd --check-config, start).
Result<void, std::string> check_modules(const Config& config,
                                        const std::vector<const ModuleInfo*>& modules);

class Server final : public Delivery {
 public:
  // Opens the store and the TLS context (generating self-signed certificates if needed) and
  // checks that every enabled module is one of `modules`.
  static Result<std::unique_ptr<Server>, std::string> create(
      Config config, std::vector<const ModuleInfo*> modules);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens every listener on every worker and starts the workers.
  Result<std::vector<BoundListener>, std::string> start();
  // Closes listeners and sessions (system-shutdown) and joins the workers.
  void stop();

  // Delivery
  void deliver(SessionHandle handle, xmpp::StanzaPtr stanza) override;

  SessionRegistry& registry() { return registry_; }
  const Config& config() const { return config_; }
  const tls::TlsContext& tls() const { return *tls_; }

 private:
  class WorkerHost;  // SessionHost of one worker (server.cpp)
  struct WorkerState;

  Server(Config config, std::vector<const ModuleInfo*> modules,
         std::unique_ptr<storage::Environment> store, std::unique_ptr<tls::TlsContext> tls);
  // Runs fn with the session behind `handle` on its worker: with its connection, or with null
  // for a detached session (XEP-0198); follows a session that was resumed on another worker;
  // runs `gone` there if the session is gone.
  using SessionTask = std::function<void(c2s::C2sSession&, net::Connection*)>;
  void with_session(SessionHandle handle, SessionTask fn, std::function<void()> gone = {});
  bool account_exists(std::string_view bare_jid) const;
  // A message on its way to the session behind `handle`, which ended meanwhile: it goes where
  // RFC 6121 sends a message for a resource that is gone (another resource, or the offline
  // queue), routed on that session's worker. Never while the handle is still bound.
  void reroute_from_ended(SessionHandle handle, std::shared_ptr<xmpp::Stanza> stanza);
  // Checks the store's room (every kStoreWatchSeconds) and logs when it falls below or rises
  // above [storage] min_room.
  void watch_store(std::uint64_t now);
  static constexpr std::uint64_t kStoreWatchSeconds = 2;

  Config config_;
  std::vector<const ModuleInfo*> modules_;
  std::unique_ptr<storage::Environment> store_;
  std::atomic<bool> store_short_of_room_{false};  // see watch_store()
  SharedStates module_states_;                    // ModuleContext::shared(), across workers
  std::uint64_t store_watched_at_ = 0;            // worker 0's clock
  std::unique_ptr<tls::TlsContext> tls_;
  // Places for client connections, below the descriptor limit (c2s.max_connections).
  std::unique_ptr<net::ConnectionAdmission> admission_;
  // Failed logins per account and per address (c2s.auth_failures_per_*).
  std::unique_ptr<c2s::AuthThrottle> auth_throttle_;
  SessionRegistry registry_;
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
