// SPDX-License-Identifier: MIT
// ModuleHost: the modules of one virtual host on one worker, and what they registered: disco
// features and identities, and the IQ handler table ((type, addressed, namespace, name) → handler,
// one hash probe per IQ). It is each module's ModuleContext, and the router's way to them.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/counter.h"
#include "storage/env.h"
#include "tern/module_api.h"
#include "xmpp/result.h"

namespace tern::core {

// What the server provides behind the sending, session and storage calls of a ModuleContext (the
// worker's host implements it; see ModuleContext for what each call means).
class ModuleServices {
 public:
  virtual ~ModuleServices() = default;
  virtual void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) = 0;
  virtual void route(xmpp::StanzaPtr stanza) = 0;
  virtual void fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
                       std::vector<xmpp::Jid> recipients) = 0;
  virtual std::shared_ptr<void> hold_ack() = 0;
  virtual std::vector<ResourceInfo> resources(std::string_view bare_jid) const = 0;
  virtual void set_interested(const xmpp::Jid& full) = 0;
  virtual void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) = 0;
  virtual bool account_exists(std::string_view bare_jid) const = 0;
  virtual bool store_short_of_room() const = 0;
  virtual void close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) = 0;
  virtual storage::Environment& store() const = 0;
  virtual void write(StoreWrite write, StoreDone done) = 0;
  virtual void write_lazily(StoreWrite write, StoreDone done) = 0;
  virtual void post(std::function<void()> task) = 0;
  virtual void offload(std::function<void()> job, std::function<void()> done) = 0;
  virtual void after(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  // A module's gauge for /metrics (ModuleContext::add_gauge); none by default (tests).
  virtual void add_gauge(const std::string& /*name*/, const std::string& /*help*/,
                         std::function<double()> /*read*/) {}
  // [http] public_url for `host`, or the first listener's scheme://host:port (no trailing '/').
  virtual std::string http_base_url(std::string_view host) const = 0;
  // <storage_path>, absolute.
  virtual std::string storage_path() const = 0;
  virtual void http_request(HttpClientRequest request, HttpClientDone done) = 0;
  // ModuleContext::shared_state, across every worker; `key` already names the module.
  virtual std::shared_ptr<void> shared_state(
      const std::string& key, const std::type_info& type,
      const std::function<std::shared_ptr<void>()>& make) = 0;
};

// The table behind ModuleServices::shared_state: one object per key, created once, thread-safe.
class SharedStates {
 public:
  std::shared_ptr<void> get(const std::string& key, const std::type_info& type,
                            const std::function<std::shared_ptr<void>()>& make);

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<const std::type_info*, std::shared_ptr<void>>> states_;
};

// [modules.NAME] tables by module name.
using ModuleOptionTables = std::map<std::string, std::map<std::string, ModuleOptions::Value>>;

class ModuleHost final : public ModuleContext {
 public:
  // Starts the `enabled` modules (names from `available`): those whose services others use
  // first, otherwise in order. Fails on an unknown name, or a module used but not enabled.
  // `services` may be null for modules that only answer IQs (tests); it must outlive the host.
  // Fails, too, on a bad or unknown option in `options`.
  static Result<std::unique_ptr<ModuleHost>, std::string> start(
      std::string host, const std::vector<std::string>& enabled,
      const std::vector<const ModuleInfo*>& available, ModuleServices* services = nullptr,
      const ModuleOptionTables& options = {});
  // Stops the modules, users before the services they use (the destructor does it otherwise).
  // The server calls it once its workers have stopped and before its writer has: what a module
  // writes in stop() still commits.
  void stop_modules();
  // The order start() starts `enabled` in, or why it cannot.
  static Result<std::vector<const ModuleInfo*>, std::string> start_order(
      const std::vector<std::string>& enabled, const std::vector<const ModuleInfo*>& available);
  ~ModuleHost() override;
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;

  // Hands an IQ get or set to the module registered for its payload; the reply (a result or an
  // error, now or later) goes to `reply`. False when no module handles the payload: the caller
  // then answers service-unavailable. `peer_address`: the client's IP, for unauthenticated
  // requests (IqRequest::peer_address).
  bool dispatch_iq(const xmpp::Element& iq, Addressed addressed, const xmpp::Jid& from,
                   const ReplySink& reply, std::string_view peer_address = {});

  // What each module's handlers took so far (merged into `into`, by module name).
  void add_timings(std::map<std::string, metrics::HistogramSnapshot>& into) const;
  // The names of the modules running, in the order they started.
  const std::vector<std::string_view>& started() const { return started_; }

  // The hooks, for the router.
  Verdict run_outbound(xmpp::StanzaPtr& stanza);
  Verdict run_inbound(xmpp::StanzaPtr& stanza);
  Verdict run_undeliverable_message(xmpp::StanzaPtr& stanza);
  void run_message_delivered(const MessageDelivered& delivered);
  // The fan-out filters; false when one threw (fail closed: no copy goes to this host).
  bool run_fan_out(FanOut& fan_out);
  void run_presence_broadcast(const PresenceBroadcast& broadcast);
  void run_session_started(const xmpp::Jid& full);
  void run_session_ended(const xmpp::Jid& full);
  void run_account_online(std::string_view bare_jid);
  void run_account_offline(std::string_view bare_jid);
  void run_stopping();
  void add_stream_features(xmpp::Element& features, StreamStage stage) const;
  // Whether a module of this host serves `domain` (serve_domain).
  bool serves_domain(std::string_view domain) const;
  // Hands a stanza for a served domain to its module; false when none serves it.
  bool dispatch_to_domain(xmpp::StanzaPtr& stanza, std::string_view domain);
  // The longest HTTP route of this host matching `path` (ModuleContext::on_http), or nullptr.
  const HttpRoute* find_http_route(std::string_view path) const;
  // Whether a module handles IQs from streams that have not authenticated.
  bool has_unauthenticated_iqs() const { return unauthenticated_iqs_; }

  // XEP-0115 §5.1: the verification string of this host's identities and features (SHA-1,
  // base64), for the <c/> stream feature.
  std::string caps_ver() const;
  std::string caps_node_ver() const override { return std::string(kCapsNode) + "#" + caps_ver(); }
  // The XEP-0115 node of the server's capabilities.
  static constexpr std::string_view kCapsNode = "urn:x-tern:server";

  // ModuleContext
  std::string_view host() const override { return host_; }
  ModuleOptions& options() override { return options_; }
  void add_disco_feature(std::string_view var) override;
  void add_disco_identity(DiscoIdentity identity) override;
  const std::vector<std::string>& disco_features() const override { return features_; }
  const std::vector<DiscoIdentity>& disco_identities() const override { return identities_; }
  void add_disco_extension(DiscoExtension extension) override;
  const std::vector<DiscoExtension>& disco_extensions() const override { return extensions_; }
  void add_account_disco_feature(std::string_view var) override;
  const std::vector<std::string>& account_disco_features() const override {
    return account_features_;
  }
  void add_account_disco_identity(DiscoIdentity identity) override;
  const std::vector<DiscoIdentity>& account_disco_identities() const override {
    return account_identities_;
  }
  void on_iq(IqType type, QName payload, Addressed addressed, IqHandler handler) override;
  void add_stream_feature(QName feature, StreamStage stage) override;
  void serve_domain(std::string_view label, std::string_view name, DomainHandler handler) override;
  const std::vector<ServedDomain>& served_domains() const override { return served_domains_; }
  void on_outbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) override;
  void on_inbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) override;
  void on_undeliverable_message(HookStage stage, StanzaHook hook) override;
  void on_message_delivered(HookStage stage, MessageDeliveredHook hook) override;
  void on_fan_out(FanOutFilter filter) override;
  void on_presence_broadcast(HookStage stage, PresenceBroadcastHook hook) override;
  void on_account_deleted(HookStage stage, AccountDeletedHook hook) override;
  void on_session_started(HookStage stage, SessionHook hook) override;
  void on_session_ended(HookStage stage, SessionHook hook) override;
  void on_account_online(HookStage stage, AccountHook hook) override;
  void on_account_offline(HookStage stage, AccountHook hook) override;
  void on_stopping(std::function<void()> hook) override;
  void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) override;
  void route(xmpp::StanzaPtr stanza) override;
  void fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
               std::vector<xmpp::Jid> recipients) override;
  std::shared_ptr<void> hold_ack() override;
  std::vector<ResourceInfo> resources(std::string_view bare_jid) const override;
  void set_interested(const xmpp::Jid& full) override;
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) override;
  bool account_exists(std::string_view bare_jid) const override;
  bool store_short_of_room() const override;
  void close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) override;
  StoreId open_store(std::string_view name, StoreScope scope) override;
  Result<ReadTxn, StoreError> read() const override;
  void write(StoreWrite write, StoreDone done) override;
  void write_lazily(StoreWrite write, StoreDone done) override;
  void delete_account(std::string_view bare_jid, StoreDone done) override;
  void create_account(std::string_view bare_jid, std::string password, AccountDone done) override;
  void set_password(std::string_view bare_jid, std::string password, AccountDone done) override;
  void post(std::function<void()> task) override;
  void offload(std::function<void()> job, std::function<void()> done) override;
  void after(std::chrono::milliseconds delay, std::function<void()> task) override;
  void on_http(HttpRoute route) override;
  std::string http_url(std::string_view path) const override;
  std::string data_directory() override;
  void http_request(HttpClientRequest request, HttpClientDone done) override;
  void every(std::chrono::seconds period, std::function<void()> fn) override;
  void every_on_one_worker(std::string_view key, std::chrono::seconds period,
                           std::function<void()> fn) override;
  void add_gauge(std::string_view name, std::string_view help,
                 std::function<double()> read) override;
  // The worker's tick (once a second): runs the timers that are due at `now` (seconds).
  void run_timers(std::uint64_t now);
  std::shared_ptr<void> shared_state(std::string_view key, const std::type_info& type,
                                     const std::function<std::shared_ptr<void>()>& make) override;
  log::Logger log() const override;
  void provide_service(const std::type_info& type, void* service) override;
  void* find_service(std::string_view module, const std::type_info& type) override;

 private:
  ModuleHost(std::string host, ModuleServices* services)
      : host_(std::move(host)), services_(services) {}
  ModuleServices& services() const;
  // Throws std::logic_error unless a module's start() is running.
  void only_in_start(std::string_view call) const;
  // create_account and set_password: `create` refuses a name that exists.
  void write_account(std::string_view bare_jid, std::string password, bool create,
                     AccountDone done);

  // A hook with where it runs and whose it is (for the log).
  template <typename Fn>
  struct Hook {
    Fn fn;
    HookStage stage;
    std::string_view module;
    metrics::Histogram* timing = nullptr;  // the module's handler time (stanza hooks)
  };
  template <typename Fn>
  void add_hook(std::vector<Hook<Fn>>& hooks, HookStage stage, Fn fn) {
    hooks.push_back(Hook<Fn>{std::move(fn), stage, starting_, timing_for(starting_)});
  }
  // The histogram of `module`'s handler time on this host (made on first use, while starting).
  metrics::Histogram* timing_for(std::string_view module);
  // Once every module has started: each list by stage, the enabled order kept within a stage.
  void order_hooks();
  static Verdict run_hooks(const std::vector<Hook<StanzaHook>>& hooks, xmpp::StanzaPtr& stanza);
  template <typename Event>
  static void notify(const std::vector<Hook<std::function<void(const Event&)>>>& hooks,
                     const Event& event);
  static std::string key(IqType type, Addressed addressed, std::string_view ns,
                         std::string_view name);

  struct Registration {
    IqHandler handler;
    std::string_view module;  // for the log and the unanswered-IQ error
    metrics::Histogram* timing = nullptr;
  };
  // Microseconds each module's IQ handlers and stanza hooks took (this host, this worker: one
  // writer), for /metrics' tern_module_handler_seconds.
  std::map<std::string, std::unique_ptr<metrics::Histogram>, std::less<>> timings_;

  std::string host_;
  ModuleServices* services_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::string_view starting_;  // the module whose start() is running
  const ModuleInfo* starting_info_ = nullptr;
  std::vector<std::string_view> started_;  // the names of modules_, in the same order
  bool stopped_ = false;
  // Services modules provided (ModuleContext::provide), by provider and interface type.
  struct Provided {
    std::string_view module;
    const std::type_info* type;
    void* service;
  };
  std::vector<Provided> provided_;
  ModuleOptions options_;  // its options
  std::unordered_map<std::string, Registration> iq_handlers_;
  std::vector<std::string> features_;
  std::vector<DiscoIdentity> identities_;
  std::vector<DiscoExtension> extensions_;
  std::vector<std::string> account_features_;
  std::vector<DiscoIdentity> account_identities_;
  struct StreamFeature {
    std::string ns;
    std::string name;
    StreamStage stage;
  };
  std::vector<StreamFeature> stream_features_;
  bool unauthenticated_iqs_ = false;
  // A second on_iq for a registered key: the first such clash, reported by start().
  std::string clash_;
  // By StanzaKind (message, presence, iq).
  std::vector<Hook<StanzaHook>> outbound_[3];
  std::vector<Hook<StanzaHook>> inbound_[3];
  std::vector<Hook<StanzaHook>> undeliverable_message_;
  std::vector<ServedDomain> served_domains_;
  std::vector<Hook<DomainHandler>> domain_handlers_;  // in the order of served_domains_
  std::vector<Hook<MessageDeliveredHook>> message_delivered_;
  std::vector<Hook<FanOutFilter>> fan_out_;
  std::vector<Hook<PresenceBroadcastHook>> presence_broadcast_;
  std::vector<Hook<AccountDeletedHook>> account_deleted_;
  std::vector<Hook<SessionHook>> session_started_;
  std::vector<Hook<SessionHook>> session_ended_;
  std::vector<Hook<AccountHook>> account_online_;
  std::vector<Hook<AccountHook>> account_offline_;
  std::vector<Hook<std::function<void()>>> stopping_;
  struct Timer {
    std::uint64_t period = 1;  // seconds
    std::uint64_t due = 0;     // 0: not yet scheduled (set at the first tick)
    std::function<void()> fn;
    std::string_view module;
  };
  std::vector<Timer> timers_;
  struct Route {
    HttpRoute route;
    std::string_view module;
  };
  std::vector<Route> http_routes_;
};

}  // namespace tern::core
