// SPDX-License-Identifier: MIT
// Server assembly: workers, listeners, the per-worker SessionHost and cross-worker delivery.
#include "core/server.h"

#include <openssl/rand.h>

#include <algorithm>
#include <iostream>

#include "storage/account_store.h"
#include "xmpp/jid_prep.h"

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
      // Server::create checked the module names, so starting cannot fail on them.
      modules_.push_back(ModuleHost::start(host.domain, server.config_.modules, server.modules_,
                                           this, module_option_tables(server.config_))
                             .value());
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

  Result<xmpp::Jid, xmpp::StanzaError> bind(c2s::C2sSession& session,
                                            const xmpp::Jid& requested) override {
    xmpp::Jid full = requested;
    if (requested.is_bare()) {
      full = requested.with_resource("tern-" + random_hex(6)).value();
    }
    SessionHandle handle{worker_id_, session.owner_id()};
    if (auto replaced = server_.registry_.bind(full, handle)) {
      // RFC 6120 §7.7.2.2: the newer session wins; the older one gets a conflict error.
      server_.with_connection(*replaced, [](net::Connection& old) {
        old.session().close(xmpp::StreamError::conflict("replaced by a new connection"));
        old.flush();
      });
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
    ack_held_ = true;
    // Released wherever the last copy goes; the session is reached on its own worker.
    class Release {
     public:
      Release(Server& server, SessionHandle handle, c2s::StreamManagement::Ticket ticket)
          : server_(server), handle_(handle), ticket_(ticket) {}
      Release(const Release&) = delete;
      Release& operator=(const Release&) = delete;
      ~Release() {
        server_.with_connection(handle_, [ticket = ticket_](net::Connection& connection) {
          connection.session().stanza_handled(ticket);
          connection.flush();
        });
      }

     private:
      Server& server_;
      SessionHandle handle_;
      c2s::StreamManagement::Ticket ticket_;
    };
    return std::make_shared<Release>(server_, current_handle_, current_ticket_);
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
            .set_attr("node", "urn:x-tern:server")
            .set_attr("ver", m->caps_ver());
        m->add_stream_features(features);
      }
    }
  }
  // ModuleServices
  void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza,
                       std::function<void(bool written)> written) override;  // after WorkerState
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
  const storage::Environment& store() const override { return *server_.store_; }
  void write(StoreWrite write, StoreDone done) override;  // after WorkerState

  void on_closed(c2s::C2sSession& session) override {
    if (session.jid().has_resource()) {  // it was bound
      if (server_.registry_.unbind(session.jid(), SessionHandle{worker_id_, session.owner_id()})) {
        router_->session_ended(session.jid());
      }
      // XEP-0198: messages the client never acknowledged go where RFC 6121 sends a message for
      // a resource that is gone: another resource of the account, or its offline queue.
      for (xmpp::StanzaPtr& stanza : session.take_unacked()) {
        if (stanza->kind() == xmpp::StanzaKind::Message) {
          router_->route_from_server(std::move(stanza));
        }
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
};

struct Server::WorkerState {
  WorkerState(Server& server, unsigned id)
      : worker(id),
        timeouts(uv_now(worker.loop()) / 1000),
        host(server, id),
        env{id,
            host,
            c2s::SessionOptions{},
            server.tls_.get(),
            connections,
            timeouts,
            static_cast<std::uint64_t>(server.config_.negotiation_timeout.count()),
            static_cast<std::uint64_t>(server.config_.idle_timeout.count())} {
    env.options.require_encryption = server.config_.require_encryption;
    env.options.limits = server.config_.limits;
    uv_timer_init(worker.loop(), &tick);
    tick.data = this;
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
  }

  Worker worker;
  net::ConnectionSet connections;
  TimeoutWheel timeouts;
  WorkerHost host;
  net::ConnectionEnv env;
  uv_timer_t tick{};
  std::vector<net::Listener*> listeners;
};

void Server::WorkerHost::write(StoreWrite write, StoreDone done) {
  if (!server_.writer_) {  // stopping
    return done(false);
  }
  Worker& worker = server_.workers_[worker_id_]->worker;
  server_.writer_->submit(std::move(write), [&worker, done = std::move(done)](
                                                const Result<void, storage::StorageError>& r) {
    if (!r) {
      std::cerr << "ternd: store write failed: " << r.error().message << "\n";
    }
    worker.post([done, ok = r.ok()] { done(ok); });
  });
}

void Server::WorkerHost::send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza,
                                         std::function<void(bool written)> written) {
  auto handle = server_.registry_.find(full);
  if (!handle) {
    if (written) {
      written(false);
    }
    return;
  }
  if (!written) {
    return server_.deliver(*handle, std::move(stanza));
  }
  // The answer comes from the session's worker; the module wants it on its own.
  Worker& home = server_.workers_[worker_id_]->worker;
  std::shared_ptr<xmpp::Stanza> shared(stanza.release());
  server_.with_connection(
      *handle,
      [shared, &home, written](net::Connection& connection) {
        connection.session().deliver(shared->root());
        connection.after_written([&home, written](bool ok) {
          if (home.on_this_thread()) {
            written(ok);
          } else {
            home.post([written, ok] { written(ok); });
          }
        });
        connection.flush();
      },
      [&home, written] { home.post([written] { written(false); }); });
}

Result<std::unique_ptr<Server>, std::string> Server::create(
    Config config, std::vector<const ModuleInfo*> modules) {
  if (auto checked = check_modules(config, modules); !checked) {
    return Err(checked.error());
  }
  auto store = storage::Environment::open(config.storage_path);
  if (!store) {
    return Err("store " + config.storage_path + ": " + store.error().message);
  }
  auto tls = net::TlsContext::server(config.hosts, config.storage_path);
  if (!tls) {
    return Err("TLS: " + tls.error().message);
  }
  return std::unique_ptr<Server>(
      new Server(std::move(config), std::move(modules), std::move(store).value(),
                 std::make_unique<net::TlsContext>(std::move(tls).value())));
}

Server::Server(Config config, std::vector<const ModuleInfo*> modules,
               std::unique_ptr<storage::Environment> store, std::unique_ptr<net::TlsContext> tls)
    : config_(std::move(config)),
      modules_(std::move(modules)),
      store_(std::move(store)),
      tls_(std::move(tls)),
      writer_(std::make_unique<storage::Writer>(*store_)) {
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
        auto listener = net::Listener::open(
            ws->worker.loop(), address,
            [ws, direct_tls](uv_stream_t* l) { net::Connection::accept(l, ws->env, direct_tls); });
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
    });
  }
  // Writes still queued commit now; their completions find the workers stopped and are dropped.
  writer_.reset();
}

void Server::with_connection(SessionHandle handle, std::function<void(net::Connection&)> fn,
                             std::function<void()> gone) {
  if (handle.worker >= workers_.size()) {
    return;
  }
  WorkerState* ws = workers_[handle.worker].get();
  auto run = [ws, handle, fn = std::move(fn), gone = std::move(gone)] {
    if (net::Connection* connection = ws->connections.find(handle.connection)) {
      fn(*connection);
    } else if (gone) {
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
  with_connection(handle, [shared](net::Connection& connection) {
    connection.session().deliver(shared->root());
    connection.flush();
  });
}

bool Server::account_exists(std::string_view bare_jid) const {
  auto txn = store_->read();
  return txn && storage::AccountStore::exists(*txn, bare_jid);
}

}  // namespace tern::core
