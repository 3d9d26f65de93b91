// SPDX-License-Identifier: MIT
// Server::WorkerHost: what the sessions and the modules of one worker see of the server. As the
// c2s::SessionHost it binds resources (and raises the session and account events), hands client
// stanzas to the router with the XEP-0198 acknowledgement they may hold, lists stream features
// and answers IQs before authentication; as ModuleServices it gives the worker's ModuleHosts the
// sessions, the router and the store. It knows its worker's id, so it can name its sessions'
// handles. XEP-0198 detach and resume are in resumption.cpp.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/c2s/c2s_session.h"
#include "core/http/http_connection.h"
#include "core/module/module_host.h"
#include "core/router/router.h"
#include "core/server/local_sessions.h"
#include "core/server/server.h"
#include "storage/account_store.h"
#include "xmpp/precis/jid_prep.h"
#include "xmpp/random_ids.h"
#include "xmpp/sasl/mechanism.h"

namespace tern::core {

using xmpp::random_hex;  // resource names, stream and resumption ids

class Server::WorkerHost final : public c2s::SessionHost,
                                 public ModuleServices,
                                 public http::HttpRouter {
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
        *server.sessions_, [&server](std::string_view bare) { return server.account_exists(bare); },
        domains(),
        [this](std::string_view domain) -> ModuleHost* {
          for (auto& m : modules_) {
            if (m->host() == domain) {
              return m.get();
            }
          }
          return nullptr;
        },
        [this](xmpp::StanzaPtr& stanza, const xmpp::Jid& to) {
          return to_served_domain(stanza, to);
        }});
  }

  // A stanza for a domain a module serves goes to that module's instance on the worker of its
  // bare 'to' (ModuleContext::serve_domain): one worker per room, no locks.
  bool to_served_domain(xmpp::StanzaPtr& stanza, const xmpp::Jid& to);  // worker_host.cpp
  // On the chosen worker: hands the stanza to the module serving its domain.
  void deliver_to_served_domain(xmpp::StanzaPtr stanza, const std::string& domain);

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
  c2s::Counters* counters() override { return counters_; }
  void set_counters(c2s::Counters* counters) { counters_ = counters; }

  Result<xmpp::Jid, xmpp::StanzaError> bind(c2s::C2sSession& session,
                                            const xmpp::Jid& requested) override {
    xmpp::Jid full = requested;
    if (requested.is_bare()) {
      full = requested.with_resource("tern-" + random_hex(6)).value();
    }
    SessionHandle handle{worker_id_, session.owner_id()};
    auto outcome = server_.sessions_->bind(full, handle, server_.config_.max_sessions_per_account);
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
      server_.sessions_->visit(*replaced, [](c2s::C2sSession& old, net::Connection* connection) {
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
        server_.sessions_->visit(
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
  // "1.2.3.4:5678" → "1.2.3.4", "[::1]:5678" → "::1": a peer's address without its port. A
  // bare address (a BOSH session's peer) stays as it is.
  static std::string_view ip_of(std::string_view peer) {
    if (peer.starts_with('[')) {
      return peer.substr(1, peer.find(']') == std::string_view::npos ? 0 : peer.find(']') - 1);
    }
    if (peer.find(':') != peer.rfind(':')) {
      return peer;  // an IPv6 address without brackets has no port
    }
    return peer.substr(0, peer.rfind(':'));
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
      server.sessions_->visit(handle, [shared](c2s::C2sSession& s, net::Connection* connection) {
        s.answer_before_authentication(*shared);
        if (connection != nullptr) {
          connection->flush();
        }
      });
    };
    if (!m->dispatch_iq(iq->root(), Addressed::Unauthenticated, xmpp::Jid(), reply,
                        ip_of(session.peer()))) {
      if (xmpp::StanzaPtr error =
              xmpp::make_error_reply(iq->root(), xmpp::StanzaError::service_unavailable())) {
        session.answer_before_authentication(*error);
      }
    }
    return true;
  }
  void close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) override {
    for (const BoundResource& r : server_.sessions_->resources(bare_jid)) {
      server_.sessions_->visit(r.handle, [error](c2s::C2sSession& s, net::Connection* connection) {
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
    if (auto handle = server_.sessions_->find(full)) {
      server_.sessions_->deliver(*handle, std::move(stanza));
    }
  }
  void route(xmpp::StanzaPtr stanza) override { router_->route_from_server(std::move(stanza)); }
  void fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
               std::vector<xmpp::Jid> recipients) override {
    router_->fan_out(std::move(stanza), std::move(recipients));
  }
  std::vector<ResourceInfo> resources(std::string_view bare_jid) const override {
    std::vector<ResourceInfo> out;
    std::vector<BoundResource> bound = server_.sessions_->resources(bare_jid);
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
  void set_interested(const xmpp::Jid& full) override { server_.sessions_->set_interested(full); }
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) override {
    server_.sessions_->set_flag(full, flag, on);
  }
  bool account_exists(std::string_view bare_jid) const override {
    return server_.account_exists(bare_jid);
  }
  bool store_short_of_room() const override {
    return server_.store_short_of_room_.load(std::memory_order_relaxed);
  }
  storage::Environment& store() const override { return *server_.store_; }
  void write(StoreWrite write, StoreDone done) override;  // worker_host.cpp
  void write_lazily(StoreWrite write, StoreDone done) override;
  void post(std::function<void()> task) override;  // worker_host.cpp
  void offload(std::function<void()> job, std::function<void()> done) override;
  void after(std::chrono::milliseconds delay, std::function<void()> task) override;
  // The worker stops: delayed tasks not yet run never will (their timers close).
  void drop_delayed();
  std::string http_base_url(std::string_view host) const override {
    return server_.http_base_url(host);
  }
  std::string storage_path() const override { return server_.config_.storage_path; }
  void http_request(HttpClientRequest request, HttpClientDone done) override;
  // http::HttpRouter: the routes of the request's host, or of the first host for a name (or an
  // address) that is none of them.
  const HttpRoute* find_route(std::string_view host, std::string_view path) const override {
    for (const auto& m : modules_) {
      if (m->host() == host) {
        return m->find_http_route(path);
      }
    }
    return modules_.empty() ? nullptr : modules_.front()->find_http_route(path);
  }
  std::string public_base_url(std::string_view host) const override {
    for (const auto& m : modules_) {
      if (m->host() == host) {
        return server_.http_base_url(host);
      }
    }
    return server_.http_base_url(server_.config_.hosts.front().domain);
  }
  std::shared_ptr<void> shared_state(const std::string& key, const std::type_info& type,
                                     const std::function<std::shared_ptr<void>()>& make) override {
    return server_.module_states_.get(key, type, make);
  }

  // XEP-0198 detach and resume (resumption.cpp).
  std::string register_resumable(c2s::C2sSession& session) override;
  void on_detached(c2s::C2sSession& session) override;
  void on_unacked_overflow(c2s::C2sSession& session) override;
  // A reload (on this worker's thread): the modules of `fresh` replace the running ones, host by
  // host, between two tasks of the loop, so no stanza sees half of each. The old instances stop
  // (ModuleContext::on_stopping hooks are not run: sessions stay) and are kept until the server
  // stops, for what they still have on its way (a store write's completion). What a module keeps
  // in ModuleContext::shared() goes over to the new instance; what it keeps in its own members
  // is rebuilt by its start() (from the store). Nothing changes if one fails to start.
  Result<void, std::string> reload_modules(const Config& fresh);  // worker_host.cpp
  // What the modules' handlers took on this worker (WorkerFigures::module_handlers).
  void add_module_timings(std::map<std::string, metrics::HistogramSnapshot>& into) const {
    for (const auto& m : modules_) {
      m->add_timings(into);
    }
  }
  std::vector<std::string_view> running_modules() const {
    return modules_.empty() ? std::vector<std::string_view>{} : modules_.front()->started();
  }

  void stop_modules() {
    for (const auto& m : modules_) {
      m->stop_modules();
    }
  }
  // The server is about to stop (ModuleContext::on_stopping).
  void run_stopping() {
    for (const auto& m : modules_) {
      m->run_stopping();
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
  void check_alerts(std::uint64_t now) { server_.check_alerts(now); }
  void add_gauge(const std::string& name, const std::string& help,
                 std::function<double()> read) override {
    server_.add_module_gauge(name, help, std::move(read));
  }
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
      auto unbound = server_.sessions_->unbind(jid, SessionHandle{worker_id_, session.owner_id()});
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
  void submit_write(StoreWrite write, StoreDone done, storage::Writer::Urgency urgency);
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
  c2s::Counters* counters_ = nullptr;  // the worker's (WorkerState::counters)
  std::vector<std::pair<std::string, xmpp::sasl::SaslServerOptions>> sasl_;
  std::vector<std::unique_ptr<ModuleHost>> modules_;  // one per host, on this worker
  std::vector<std::unique_ptr<ModuleHost>> retired_;  // replaced by a reload, stopped
  std::unique_ptr<Router> router_;
  // The client stanza being routed, for hold_ack().
  c2s::StreamManagement::Ticket current_ticket_ = 0;
  SessionHandle current_handle_;
  bool ack_held_ = false;
  bool delayed_dropped_ = false;  // stopping: ModuleContext::after runs nothing any more
  std::weak_ptr<void> current_hold_;
};

}  // namespace tern::core
