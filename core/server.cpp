// SPDX-License-Identifier: MIT
// Server assembly: workers, listeners, the per-worker SessionHost and cross-worker delivery.
#include "core/server.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include "log/logger.h"
#include "storage/account_store.h"
#include "xmpp/precis/jid_prep.h"

namespace tern::core {

namespace {

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace

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

// The SessionHost of one worker: it knows the worker's id, so it can name its sessions' handles.
class Server::WorkerHost final : public c2s::SessionHost, public ModuleServices {
 public:
  WorkerHost(Server& server, unsigned worker_id) : server_(server), worker_id_(worker_id) {
    for (const VirtualHost& host : server.config_.hosts) {
      xmpp::sasl::SaslServerOptions options;
      std::string domain = host.domain;
      const storage::Environment* store = server.store_.get();
      options.lookup = [store, domain](std::string_view user, xmpp::sasl::ScramHash hash)
          -> std::optional<xmpp::sasl::ScramCredentials> {
        auto txn = store->read();
        if (!txn) {
          return std::nullopt;
        }
        auto account = storage::AccountStore::get(*txn, std::string(user) + "@" + domain);
        const xmpp::sasl::ScramCredentials* c = account ? account->credentials_for(hash) : nullptr;
        return c != nullptr ? std::optional(*c) : std::nullopt;
      };
      options.prepare_username = [](std::string_view user) -> std::optional<std::string> {
        std::string prepared;
        if (xmpp::precis::prepare_localpart(user, prepared) != xmpp::precis::PrepStatus::Ok) {
          return std::nullopt;
        }
        return prepared;
      };
      options.types_announced = true;  // C2sSession sends XEP-0440 <sasl-channel-binding/>
      sasl_.emplace_back(host.domain, std::move(options));
      // Server::create checked the module names and options; what can still fail is a store
      // (ModuleContext::open_store): Server::create turns this into its error.
      auto started = ModuleHost::start(host.domain, server.config_.modules, server.modules_, this,
                                       module_option_tables(server.config_));
      if (!started) {
        throw ModuleStartError(started.error());
      }
      modules_.push_back(std::move(started).value());
    }
    router_ = std::make_unique<Router>(RouterEnv{
        server.registry_, server,
        [&server](std::string_view bare) { return server.account_exists(bare); }, domains(),
        [this](std::string_view domain) -> ModuleHost* {
          for (auto& m : modules_) {
            if (m->host() == domain) {
              return m.get();
            }
          }
          return nullptr;
        }});
  }

  std::vector<std::string> domains() const {
    std::vector<std::string> out;
    for (const auto& [domain, options] : sasl_) {
      out.push_back(domain);
    }
    return out;
  }

  bool serves_domain(std::string_view domain) const override {
    return find_options(domain) != nullptr;
  }
  const xmpp::sasl::SaslServerOptions& sasl_options(std::string_view domain) const override {
    const xmpp::sasl::SaslServerOptions* options = find_options(domain);
    return options != nullptr ? *options : sasl_.front().second;
  }
  std::string new_stream_id() override { return random_hex(12); }
  c2s::AuthThrottle* auth_throttle() override { return server_.auth_throttle_.get(); }

  Result<xmpp::Jid, xmpp::StanzaError> bind(c2s::C2sSession& session,
                                            const xmpp::Jid& requested) override {
    xmpp::Jid full = requested;
    if (requested.is_bare()) {
      full = requested.with_resource("tern-" + random_hex(6)).value();
    }
    SessionHandle handle{worker_id_, session.owner_id()};
    auto outcome = server_.registry_.bind(full, handle, server_.config_.max_sessions_per_account);
    if (outcome.refused) {
      // RFC 6120 §7.6.2.1: the account has reached its limit of simultaneous resources.
      return Err(xmpp::StanzaError::resource_constraint(
          "at most " + std::to_string(server_.config_.max_sessions_per_account) +
          " resources per account"));
    }
    ModuleHost* modules = modules_for(full.domain());
    if (auto replaced = outcome.replaced) {
      // RFC 6120 §7.7.2.2: the newer session wins; the older one gets a conflict error. Its
      // unbind will find the newer handle and leave it: the old session ends here.
      server_.with_session(*replaced, [](c2s::C2sSession& old, net::Connection* connection) {
        old.close(xmpp::StreamError::conflict("replaced by a new connection"));
        if (connection != nullptr) {
          connection->flush();
        }
      });
      if (modules != nullptr) {
        modules->run_session_ended(full);
      }
    }
    if (modules != nullptr) {
      if (outcome.first) {
        modules->run_account_online(full.bare_view());
      }
      modules->run_session_started(full);
    }
    return full;
  }

  void on_stanza(c2s::C2sSession& session, xmpp::StanzaPtr stanza,
                 c2s::StreamManagement::Ticket ticket) override {
    SessionHandle handle{worker_id_, session.owner_id()};
    // While the router and the modules run, hold_ack() refers to this stanza.
    current_ticket_ = ticket;
    current_handle_ = handle;
    ack_held_ = false;
    current_hold_.reset();
    router_->route(std::move(stanza), handle);
    current_ticket_ = 0;
    if (!ack_held_) {
      session.stanza_handled(ticket);
    }
  }
  std::shared_ptr<void> hold_ack() override {
    if (current_ticket_ == 0) {
      return nullptr;
    }
    if (auto held = current_hold_.lock()) {
      return held;  // one hold per stanza, however many modules ask
    }
    ack_held_ = true;
    // Released wherever the last copy goes; the session is reached on its own worker.
    class Release {
     public:
      Release(Server& server, SessionHandle handle, c2s::StreamManagement::Ticket ticket)
          : server_(server), handle_(handle), ticket_(ticket) {}
      Release(const Release&) = delete;
      Release& operator=(const Release&) = delete;
      ~Release() {
        server_.with_session(
            handle_, [ticket = ticket_](c2s::C2sSession& session, net::Connection* connection) {
              session.stanza_handled(ticket);
              if (connection != nullptr) {
                connection->flush();
              }
            });
      }

     private:
      Server& server_;
      SessionHandle handle_;
      c2s::StreamManagement::Ticket ticket_;
    };
    auto hold = std::make_shared<Release>(server_, current_handle_, current_ticket_);
    current_hold_ = hold;
    return hold;
  }
  ModuleHost* modules_for(std::string_view domain) const {
    for (const auto& m : modules_) {
      if (m->host() == domain) {
        return m.get();
      }
    }
    return nullptr;
  }
  void add_features_before_authentication(c2s::C2sSession& session,
                                          xmpp::Element& features) override {
    if (ModuleHost* m = modules_for(session.domain())) {
      m->add_stream_features(features, StreamStage::BeforeAuthentication);
    }
  }
  bool on_iq_before_authentication(c2s::C2sSession& session, xmpp::StanzaPtr iq) override {
    ModuleHost* m = modules_for(session.domain());
    if (m == nullptr || !m->has_unauthenticated_iqs()) {
      return false;
    }
    // A deferred answer finds the session by its handle: it may be gone by then.
    SessionHandle handle{worker_id_, session.owner_id()};
    ReplySink reply = [&server = server_, handle](xmpp::StanzaPtr answer) {
      std::shared_ptr<xmpp::Stanza> shared(answer.release());
      server.with_session(handle, [shared](c2s::C2sSession& s, net::Connection* connection) {
        s.answer_before_authentication(*shared);
        if (connection != nullptr) {
          connection->flush();
        }
      });
    };
    if (!m->dispatch_iq(iq->root(), Addressed::Unauthenticated, xmpp::Jid(), reply)) {
      if (xmpp::StanzaPtr error =
              xmpp::make_error_reply(iq->root(), xmpp::StanzaError::service_unavailable())) {
        session.answer_before_authentication(*error);
      }
    }
    return true;
  }
  void close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) override {
    for (const BoundResource& r : server_.registry_.resources(bare_jid)) {
      server_.with_session(r.handle, [error](c2s::C2sSession& s, net::Connection* connection) {
        s.close(error);
        if (connection != nullptr) {
          connection->flush();
        }
      });
    }
  }
  bool on_nonza(c2s::C2sSession& /*session*/, xmpp::StanzaPtr /*element*/) override {
    return false;  // stream management and CSI arrive with the delivery issue
  }
  void add_features(c2s::C2sSession& session, xmpp::Element& features) override {
    // XEP-0115: the server's own capabilities, so clients can skip a disco#info round trip.
    for (const auto& m : modules_) {
      if (m->host() == session.domain()) {
        features.add_child("c", xmpp::ns::kCaps)
            .set_attr("hash", "sha-1")
            .set_attr("node", ModuleHost::kCapsNode)
            .set_attr("ver", m->caps_ver());
        m->add_stream_features(features, StreamStage::Authenticated);
      }
    }
  }
  // ModuleServices
  void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) override {
    if (auto handle = server_.registry_.find(full)) {
      server_.deliver(*handle, std::move(stanza));
    }
  }
  void route(xmpp::StanzaPtr stanza) override { router_->route_from_server(std::move(stanza)); }
  std::vector<ResourceInfo> resources(std::string_view bare_jid) const override {
    std::vector<ResourceInfo> out;
    std::vector<BoundResource> bound = server_.registry_.resources(bare_jid);
    out.reserve(bound.size());
    for (BoundResource& r : bound) {
      auto full = xmpp::Jid::parse(std::string(bare_jid) + "/" + r.resource);
      if (full) {
        ResourceInfo info;
        info.jid = std::move(*full);
        info.available = r.available;
        info.priority = r.priority;
        info.interested = r.interested;
        info.flags = std::move(r.flags);
        info.presence = std::move(r.presence);
        out.push_back(std::move(info));
      }
    }
    return out;
  }
  void set_interested(const xmpp::Jid& full) override { server_.registry_.set_interested(full); }
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) override {
    server_.registry_.set_flag(full, flag, on);
  }
  bool account_exists(std::string_view bare_jid) const override {
    return server_.account_exists(bare_jid);
  }
  bool store_short_of_room() const override {
    return server_.store_short_of_room_.load(std::memory_order_relaxed);
  }
  storage::Environment& store() const override { return *server_.store_; }
  void write(StoreWrite write, StoreDone done) override;  // after WorkerState
  void post(std::function<void()> task) override;         // after WorkerState
  std::shared_ptr<void> shared_state(const std::string& key, const std::type_info& type,
                                     const std::function<std::shared_ptr<void>()>& make) override {
    return server_.module_states_.get(key, type, make);
  }

  // XEP-0198 resumption (after WorkerState, which they use).
  std::string register_resumable(c2s::C2sSession& session) override;
  void on_detached(c2s::C2sSession& session) override;
  void on_unacked_overflow(c2s::C2sSession& session) override;
  void stop_modules() {
    for (const auto& m : modules_) {
      m->stop_modules();
    }
  }
  // Once a second: the modules' timers (ModuleContext::every).
  void run_module_timers(std::uint64_t now) {
    for (const auto& m : modules_) {
      m->run_timers(now);
    }
  }

  // Every few seconds (worker 0): the store's room against [storage] min_room.
  void watch_store(std::uint64_t now) { server_.watch_store(now); }
  void resume(c2s::C2sSession& session, std::string_view previd) override;

  void on_closed(c2s::C2sSession& session) override {
    if (!session.resume_id().empty()) {
      std::lock_guard lock(server_.resumable_mutex_);
      auto it = server_.resumable_.find(session.resume_id());
      if (it != server_.resumable_.end() &&
          it->second.handle == SessionHandle{worker_id_, session.owner_id()}) {
        server_.resumable_.erase(it);
      }
    }
    if (session.jid().has_resource()) {  // it was bound
      const xmpp::Jid& jid = session.jid();
      auto unbound = server_.registry_.unbind(jid, SessionHandle{worker_id_, session.owner_id()});
      if (unbound.was_available) {
        router_->session_ended(jid);
      }
      reroute_unacked(session.take_unacked());
      ModuleHost* modules = modules_for(jid.domain());
      if (unbound.unbound && modules != nullptr) {
        modules->run_session_ended(jid);
        if (unbound.last) {
          modules->run_account_offline(jid.bare_view());
        }
      }
    }
  }

  // XEP-0198: messages a client never acknowledged go where RFC 6121 sends a message for a
  // resource that is gone: another resource of the account, or its offline queue.
  void reroute_unacked(std::deque<xmpp::StanzaPtr> unacked) {
    for (xmpp::StanzaPtr& stanza : unacked) {
      if (stanza->kind() == xmpp::StanzaKind::Message) {
        router_->route_from_server(std::move(stanza));
      }
    }
  }

 private:
  const xmpp::sasl::SaslServerOptions* find_options(std::string_view domain) const {
    for (const auto& [d, options] : sasl_) {
      if (d == domain) {
        return &options;
      }
    }
    return nullptr;
  }

  Server& server_;
  unsigned worker_id_;
  std::vector<std::pair<std::string, xmpp::sasl::SaslServerOptions>> sasl_;
  std::vector<std::unique_ptr<ModuleHost>> modules_;  // one per host, on this worker
  std::unique_ptr<Router> router_;
  // The client stanza being routed, for hold_ack().
  c2s::StreamManagement::Ticket current_ticket_ = 0;
  SessionHandle current_handle_;
  bool ack_held_ = false;
  std::weak_ptr<void> current_hold_;
};

struct Server::WorkerState {
  WorkerState(Server& server, unsigned id)
      : worker(id),
        timeouts(uv_now(worker.loop()) / 1000),
        write_timeouts(uv_now(worker.loop()) / 1000),
        host(server, id),
        env{id,
            host,
            c2s::SessionOptions{},
            server.tls_.get(),
            connections,
            timeouts,
            static_cast<std::uint64_t>(server.config_.negotiation_timeout.count()),
            static_cast<std::uint64_t>(server.config_.idle_timeout.count()),
            *server.admission_,
            server.config_.max_output_bytes,
            static_cast<std::uint64_t>(server.config_.write_timeout.count()),
            write_timeouts} {
    env.options.require_encryption = server.config_.require_encryption;
    env.options.limits = server.config_.limits;
    env.options.resume_timeout_s =
        static_cast<std::uint32_t>(server.config_.resume_timeout.count());
    env.options.max_unacked_stanzas = server.config_.max_unacked_stanzas;
    env.options.max_unacked_bytes = server.config_.max_unacked_bytes;
    env.options.max_stanza_bytes_before_auth = server.config_.max_stanza_bytes_before_auth;
    uv_timer_init(worker.loop(), &tick);
    tick.data = this;
    // After each turn's reads (check) and before the loop blocks (prepare: deliveries made by
    // timers): what was delivered to a connection meanwhile goes out in one write.
    uv_check_init(worker.loop(), &flusher);
    flusher.data = this;
    uv_prepare_init(worker.loop(), &pre_poll_flusher);
    pre_poll_flusher.data = this;
  }

  static void on_check(uv_check_t* check) {
    static_cast<WorkerState*>(check->data)->connections.flush_queued();
  }
  static void on_prepare(uv_prepare_t* prepare) {
    static_cast<WorkerState*>(prepare->data)->connections.flush_queued();
  }

  // Once a second: the connections whose deadline has come.
  static void on_tick(uv_timer_t* timer) {
    auto* self = static_cast<WorkerState*>(timer->data);
    self->timeouts.advance(
        uv_now(timer->loop) / 1000,
        [self](TimeoutWheel::Id id) -> std::optional<std::uint64_t> {
          net::Connection* c = self->connections.find(id);
          return c != nullptr ? std::optional(c->deadline()) : std::nullopt;
        },
        [self](TimeoutWheel::Id id) {
          if (net::Connection* c = self->connections.find(id)) {
            c->on_timeout();
          }
        });
    std::uint64_t now = uv_now(timer->loop) / 1000;
    self->write_timeouts.advance(
        now,
        [self, now](TimeoutWheel::Id id) -> std::optional<std::uint64_t> {
          net::Connection* c = self->connections.find(id);
          return c != nullptr ? c->write_deadline(now) : std::nullopt;
        },
        [self](TimeoutWheel::Id id) {
          if (net::Connection* c = self->connections.find(id)) {
            c->on_write_timeout();
          }
        });
    self->expire_detached(uv_now(timer->loop) / 1000, false);
    self->host.run_module_timers(uv_now(timer->loop) / 1000);
    if (self->worker.id() == 0) {
      self->host.watch_store(uv_now(timer->loop) / 1000);
    }
  }

  // XEP-0198: detached sessions whose window has passed (all of them at shutdown) end now; and
  // forwarding notes of resumed sessions are forgotten after a while. Both maps stay small (only
  // sessions that lost their connection), so a scan per tick is cheap.
  void expire_detached(std::uint64_t now, bool all) {
    std::vector<std::uint64_t> due;
    for (const auto& [id, entry] : detached) {
      if (all || entry.deadline <= now) {
        due.push_back(id);
      }
    }
    for (std::uint64_t id : due) {
      auto it = detached.find(id);
      if (it == detached.end()) {
        continue;
      }
      std::unique_ptr<c2s::C2sSession> session = std::move(it->second.session);
      detached.erase(it);
      session->expire();  // unbinds, tells contacts, re-routes what was never acknowledged
    }
    for (auto it = moved.begin(); it != moved.end();) {
      it = (all || it->second.until <= now) ? moved.erase(it) : std::next(it);
    }
  }

  Worker worker;
  net::ConnectionSet connections;
  TimeoutWheel timeouts;
  TimeoutWheel write_timeouts;  // connections whose output waits (Connection::write_deadline)
  WorkerHost host;
  net::ConnectionEnv env;
  uv_timer_t tick{};
  uv_check_t flusher{};
  uv_prepare_t pre_poll_flusher{};
  std::vector<net::Listener*> listeners;
  // XEP-0198: sessions whose connection is gone, by their former connection id, until resumed
  // or expired; and where sessions resumed elsewhere went (briefly, for stanzas in flight).
  struct DetachedSession {
    std::unique_ptr<c2s::C2sSession> session;
    std::uint64_t deadline = 0;  // seconds of the loop clock
  };
  struct Moved {
    SessionHandle to;
    std::uint64_t until = 0;
  };
  std::unordered_map<std::uint64_t, DetachedSession> detached;
  std::unordered_map<std::uint64_t, Moved> moved;
};

void Server::WorkerHost::write(StoreWrite write, StoreDone done) {
  if (!server_.writer_) {  // stopping
    return done(StoreStatus{});
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

std::string Server::WorkerHost::register_resumable(c2s::C2sSession& session) {
  std::string id = random_hex(16);
  std::lock_guard lock(server_.resumable_mutex_);
  server_.resumable_[id] = Resumable{SessionHandle{worker_id_, session.owner_id()},
                                     std::string(session.jid().bare_view())};
  return id;
}

void Server::WorkerHost::on_detached(c2s::C2sSession& session) {
  WorkerState& ws = *server_.workers_[worker_id_];
  net::Connection* connection = ws.connections.find(session.owner_id());
  if (connection == nullptr || !connection->has_session()) {
    return;
  }
  std::uint64_t now = uv_now(ws.worker.loop()) / 1000;
  // Modules see it (XEP-0357 pushes for a device whose connection is gone).
  server_.registry_.set_flag(session.jid(), kDetachedFlag, true);
  ws.detached[session.owner_id()] = WorkerState::DetachedSession{
      connection->release_session(), now + server_.config_.resume_timeout.count()};
}

void Server::WorkerHost::on_unacked_overflow(c2s::C2sSession& session) {
  // Called while the session takes a delivery: it ends on the next turn of the loop, wherever it
  // is then (its ids never repeat, so a session found under them is this one).
  WorkerState& ws = *server_.workers_[worker_id_];
  ws.worker.post([&ws, id = session.owner_id(), overflowing = &session] {
    if (auto it = ws.detached.find(id);
        it != ws.detached.end() && it->second.session.get() == overflowing) {
      std::unique_ptr<c2s::C2sSession> ended = std::move(it->second.session);
      ws.detached.erase(it);
      ended->end_for_unacked_overflow();  // its stanzas go to the offline queue
      return;
    }
    net::Connection* connection = ws.connections.find(id);
    if (connection != nullptr && connection->has_session() &&
        &connection->session() == overflowing) {
      overflowing->end_for_unacked_overflow();
      connection->flush();
    }  // otherwise it was resumed elsewhere or has ended meanwhile
  });
}

void Server::WorkerHost::resume(c2s::C2sSession& session, std::string_view previd) {
  SessionHandle to{worker_id_, session.owner_id()};
  std::optional<SessionHandle> from;
  {
    std::lock_guard lock(server_.resumable_mutex_);
    auto it = server_.resumable_.find(std::string(previd));
    // Only the account that owns the session may resume it.
    if (it != server_.resumable_.end() && it->second.bare_jid == session.jid().bare_view()) {
      from = it->second.handle;
    }
  }
  if (!from) {
    return session.resume_failed();
  }
  // The old session lives on its own worker: take its state there, then come back here.
  std::string id(previd);
  Server& server = server_;
  auto fail_here = [&server, to] {
    server.with_session(to, [](c2s::C2sSession& s, net::Connection* c) {
      s.resume_failed();
      if (c != nullptr) {
        c->flush();
      }
    });
  };
  server_.with_session(
      *from,
      [&server, from = *from, to, id, fail_here](c2s::C2sSession& old, net::Connection* live) {
        WorkerState& home = *server.workers_[from.worker];
        if (live != nullptr) {
          // The old connection is not dead yet as far as we knew: it is now.
          live->abort("resumed-elsewhere");
        }
        auto it = home.detached.find(from.connection);
        if (it == home.detached.end() || it->second.session.get() != &old) {
          return fail_here();
        }
        xmpp::Jid jid = old.jid();
        if (!server.registry_.rehome(jid, from, to)) {
          return fail_here();
        }
        server.registry_.set_flag(jid, kDetachedFlag, false);
        auto sm = std::make_shared<c2s::StreamManagement>(old.take_stream_management());
        home.detached.erase(it);  // dropped without ending: the session lives on elsewhere
        std::uint64_t now = uv_now(home.worker.loop()) / 1000;
        home.moved[from.connection] = WorkerState::Moved{to, now + 60};
        {
          std::lock_guard lock(server.resumable_mutex_);
          server.resumable_[id].handle = to;
        }
        server.with_session(
            to,
            [jid, sm, id](c2s::C2sSession& fresh, net::Connection* c) {
              fresh.resume_succeeded(jid, std::move(*sm), id);
              if (c != nullptr) {
                c->flush();
              }
            },
            [&server, to, sm] {
              // The new connection is gone too: its messages are re-routed like any session's.
              server.workers_[to.worker]->host.reroute_unacked(sm->take_unacked());
            });
      },
      fail_here);
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
    Config config, std::vector<const ModuleInfo*> modules) {
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
  try {
    return std::unique_ptr<Server>(
        new Server(std::move(config), std::move(modules), std::move(store).value(),
                   std::make_unique<tls::TlsContext>(std::move(tls).value())));
  } catch (const ModuleStartError& e) {  // a module's store could not be opened
    return Err(std::string(e.what()));
  }
}

Server::Server(Config config, std::vector<const ModuleInfo*> modules,
               std::unique_ptr<storage::Environment> store, std::unique_ptr<tls::TlsContext> tls)
    : config_(std::move(config)),
      modules_(std::move(modules)),
      store_(std::move(store)),
      tls_(std::move(tls)),
      writer_(std::make_unique<storage::Writer>(*store_, 1024, config_.slow_commit)) {
  admission_ = std::make_unique<net::ConnectionAdmission>(connection_cap(config_),
                                                          config_.max_connections_per_address);
  auth_throttle_ = std::make_unique<c2s::AuthThrottle>(
      c2s::AuthThrottle::Options{config_.auth_failures_per_account,
                                 config_.auth_failures_per_address, config_.auth_max_lockout});
  for (unsigned i = 0; i < config_.effective_workers(); ++i) {
    workers_.push_back(std::make_unique<WorkerState>(*this, i));
  }
}

Server::~Server() {
  stop();
  writer_.reset();  // before the workers its completions would post to
}

Result<std::vector<BoundListener>, std::string> Server::start() {
  std::vector<BoundListener> bound;
  auto open_all = [&](const std::vector<ListenAddress>& addresses, const char* kind,
                      bool direct_tls) -> Result<void, std::string> {
    for (ListenAddress address : addresses) {
      // Port 0: the first worker's socket picks a port, the others share it (SO_REUSEPORT).
      for (auto& state : workers_) {
        WorkerState* ws = state.get();
        auto listener = net::Listener::open(ws->worker.loop(), address, *admission_, kind,
                                            [ws, direct_tls](int fd, const sockaddr_storage& peer) {
                                              net::Connection::accept(ws->worker.loop(), fd, peer,
                                                                      ws->env, direct_tls);
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
  for (auto& state : workers_) {
    uv_timer_start(&state->tick, &WorkerState::on_tick, 1000, 1000);
    uv_check_start(&state->flusher, &WorkerState::on_check);
    uv_prepare_start(&state->pre_poll_flusher, &WorkerState::on_prepare);
    state->worker.start();
  }
  running_ = true;
  return bound;
}

void Server::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  for (auto& state : workers_) {
    WorkerState* ws = state.get();
    ws->worker.stop([ws] {
      uv_close(reinterpret_cast<uv_handle_t*>(&ws->tick), nullptr);
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

void Server::with_session(SessionHandle handle, SessionTask fn, std::function<void()> gone) {
  if (handle.worker >= workers_.size()) {
    return;
  }
  WorkerState* ws = workers_[handle.worker].get();
  auto run = [this, ws, handle, fn = std::move(fn), gone = std::move(gone)]() mutable {
    net::Connection* connection = ws->connections.find(handle.connection);
    if (connection != nullptr && connection->has_session()) {
      return fn(connection->session(), connection);
    }
    if (auto detached = ws->detached.find(handle.connection); detached != ws->detached.end()) {
      return fn(*detached->second.session, nullptr);
    }
    if (auto moved = ws->moved.find(handle.connection); moved != ws->moved.end()) {
      // Resumed elsewhere a moment ago: what was on its way follows it.
      return with_session(moved->second.to, std::move(fn), std::move(gone));
    }
    if (gone) {
      gone();
    }
  };
  if (ws->worker.on_this_thread()) {
    run();
  } else {
    ws->worker.post(std::move(run));
  }
}

void Server::deliver(SessionHandle handle, xmpp::StanzaPtr stanza) {
  // std::function needs a copyable callable: the stanza rides in a shared_ptr, still owned by
  // exactly one task.
  std::shared_ptr<xmpp::Stanza> shared(stanza.release());
  auto reroute = [this, handle, shared] { reroute_from_ended(handle, shared); };
  auto deliver = [shared, reroute](c2s::C2sSession& session, net::Connection* connection) {
    if (session.state() == c2s::SessionState::Closed) {
      return reroute();  // ended, its connection still closing
    }
    bool kept = session.deliver(*shared);
    if (connection == nullptr) {
      return;
    }
    if (!kept && shared->receipt()) {
      // No stream management: handed to the socket is as delivered as it gets.
      connection->after_written([receipt = shared->receipt()](bool ok) {
        if (ok) {
          receipt->delivered();
        }
      });
    }
    connection->flush_soon();
  };
  with_session(handle, std::move(deliver), std::move(reroute));
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

void Server::reroute_from_ended(SessionHandle handle, std::shared_ptr<xmpp::Stanza> stanza) {
  if (stanza->kind() != xmpp::StanzaKind::Message || handle.worker >= workers_.size()) {
    return;
  }
  auto to = xmpp::Jid::parse(stanza->to());
  if (!to) {
    return;
  }
  for (const BoundResource& r : registry_.resources(to->bare_view())) {
    if (r.handle == handle) {
      return;  // still bound (it should not be): routing again could only come back here
    }
  }
  WorkerState* ws = workers_[handle.worker].get();
  ws->worker.post([ws, stanza = std::move(stanza)] {
    std::deque<xmpp::StanzaPtr> one;
    one.push_back(stanza->clone());  // the receipt goes with it
    ws->host.reroute_unacked(std::move(one));
  });
}

bool Server::account_exists(std::string_view bare_jid) const {
  auto txn = store_->read();
  return txn && storage::AccountStore::exists(*txn, bare_jid);
}

}  // namespace tern::core
