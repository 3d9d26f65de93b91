// SPDX-License-Identifier: MIT
// Module start-up, registrations and IQ dispatch with the one-reply rule.
#include "core/module/module_host.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "storage/account_lifecycle.h"
#include "xmpp/base64.h"

namespace tern::core {
namespace {

// Times a module's handler into its histogram (nothing without one), in microseconds: two
// steady_clock reads (the vDSO, about 20 ns each) per call.
class Timed {
 public:
  explicit Timed(metrics::Histogram* histogram)
      : histogram_(histogram),
        started_(histogram != nullptr ? std::chrono::steady_clock::now()
                                      : std::chrono::steady_clock::time_point()) {}
  ~Timed() {
    if (histogram_ != nullptr) {
      histogram_->observe(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - started_)
                                         .count()));
    }
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  metrics::Histogram* histogram_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

namespace {

const log::Logger kLog("modules");

// What an exception caught with catch (...) says: its what() when it has one.
std::string exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

namespace {

// "roster?" → ("roster", optional).
std::pair<std::string_view, bool> parse_use(std::string_view use) {
  bool optional = !use.empty() && use.back() == '?';
  return {optional ? use.substr(0, use.size() - 1) : use, optional};
}

}  // namespace

Result<std::vector<const ModuleInfo*>, std::string> ModuleHost::start_order(
    const std::vector<std::string>& enabled, const std::vector<const ModuleInfo*>& available) {
  std::vector<const ModuleInfo*> wanted;
  for (const std::string& name : enabled) {
    if (std::count(enabled.begin(), enabled.end(), name) > 1) {
      return Err("module '" + name + "' is listed more than once in [modules] enabled");
    }
    auto it = std::find_if(available.begin(), available.end(),
                           [&](const ModuleInfo* info) { return info->name == name; });
    if (it == available.end()) {
      return Err("unknown module '" + name + "' in [modules] enabled");
    }
    wanted.push_back(*it);
  }
  auto is_enabled = [&](std::string_view name) {
    return std::find(enabled.begin(), enabled.end(), name) != enabled.end();
  };
  for (const ModuleInfo* info : wanted) {
    for (std::string_view use : info->uses) {
      auto [name, optional] = parse_use(use);
      if (!optional && !is_enabled(name)) {
        return Err("module '" + std::string(info->name) + "' needs module '" + std::string(name) +
                   "': add \"" + std::string(name) + "\" to [modules] enabled");
      }
    }
  }
  // Providers before their users; otherwise the enabled order (which, within a hook stage, is
  // also the order hooks run in).
  std::vector<const ModuleInfo*> order;
  while (order.size() < wanted.size()) {
    bool progressed = false;
    for (const ModuleInfo* info : wanted) {
      if (std::find(order.begin(), order.end(), info) != order.end()) {
        continue;
      }
      bool ready = std::all_of(info->uses.begin(), info->uses.end(), [&](std::string_view use) {
        std::string_view name = parse_use(use).first;
        return !is_enabled(name) || std::any_of(order.begin(), order.end(), [&](auto* started) {
          return started->name == name;
        });
      });
      if (ready) {
        order.push_back(info);
        progressed = true;
        break;
      }
    }
    if (!progressed) {
      std::string cycle;
      for (const ModuleInfo* info : wanted) {
        if (std::find(order.begin(), order.end(), info) == order.end()) {
          cycle += (cycle.empty() ? "'" : ", '") + std::string(info->name) + "'";
        }
      }
      return Err("modules " + cycle + " use each other in a circle: none can start first");
    }
  }
  return order;
}

Result<std::unique_ptr<ModuleHost>, std::string> ModuleHost::start(
    std::string host, const std::vector<std::string>& enabled,
    const std::vector<const ModuleInfo*>& available, ModuleServices* services,
    const ModuleOptionTables& options) {
  auto order = start_order(enabled, available);
  if (!order) {
    return Err(order.error());
  }
  std::unique_ptr<ModuleHost> self(new ModuleHost(std::move(host), services));
  for (const ModuleInfo* info : *order) {
    auto table = options.find(std::string(info->name));
    self->options_ = ModuleOptions(
        std::string(info->name),
        table != options.end() ? table->second : std::map<std::string, ModuleOptions::Value>{});
    self->starting_ = info->name;
    self->starting_info_ = info;
    self->started_.push_back(info->name);
    self->modules_.push_back(info->create());
    try {
      self->modules_.back()->start(*self);
    } catch (const ModuleStartError& e) {  // options, stores, services
      return Err(std::string(e.what()));
    }
    if (std::vector<std::string> unread = self->options_.unread(); !unread.empty()) {
      return Err(unread.front());
    }
    if (!self->clash_.empty()) {
      return Err(self->clash_);
    }
  }
  self->starting_ = {};
  self->starting_info_ = nullptr;
  self->options_ = ModuleOptions();
  self->order_hooks();
  return self;
}

void ModuleHost::provide_service(const std::type_info& type, void* service) {
  only_in_start("provide");
  provided_.push_back(Provided{starting_, &type, service});
}

void* ModuleHost::find_service(std::string_view module, const std::type_info& type) {
  only_in_start("service");
  bool declared = std::any_of(starting_info_->uses.begin(), starting_info_->uses.end(),
                              [&](std::string_view use) { return parse_use(use).first == module; });
  if (!declared) {
    throw std::logic_error("module '" + std::string(starting_) + "' asks for module '" +
                           std::string(module) + "' without naming it in its TERN_MODULE");
  }
  bool module_started = false;
  for (const Provided& p : provided_) {
    if (p.module == module && *p.type == type) {
      return p.service;
    }
    module_started = module_started || p.module == module;
  }
  // Providers start first (start_order): a module named but not started is not enabled.
  bool enabled =
      module_started || std::find(started_.begin(), started_.end(), module) != started_.end();
  if (!enabled) {
    return nullptr;  // an optional use of a module that is not enabled (start_order checked)
  }
  throw ModuleStartError("module '" + std::string(module) + "' provides no " + type.name() +
                         " that module '" + std::string(starting_) + "' asks for");
}

ModuleHost::~ModuleHost() {
  stop_modules();
}

void ModuleHost::stop_modules() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  timers_.clear();  // a stopped module's timer must not run
  for (std::size_t i = modules_.size(); i-- > 0;) {
    try {
      modules_[i]->stop();
    } catch (...) {
      kLog.error("module.exception", "a module's stop() threw",
                 {{"module", started_[i]}, {"error", exception_text()}});
    }
  }
}

std::string ModuleHost::key(IqType type, Addressed addressed, std::string_view ns,
                            std::string_view name) {
  std::string k;
  k.reserve(ns.size() + name.size() + 3);
  k += type == IqType::Get ? 'g' : 's';
  switch (addressed) {
    case Addressed::ToServer:
      k += 'h';
      break;
    case Addressed::ToAccount:
      k += 'a';
      break;
    case Addressed::Unauthenticated:
      k += 'u';
      break;
  }
  k += ns;
  k += '\x01';  // cannot occur in XML names
  k += name;
  return k;
}

std::string ModuleHost::caps_ver() const {
  // Identities sorted by category, type, xml:lang (none here) and name; then features sorted;
  // each followed by '<'.
  std::vector<const DiscoIdentity*> ids;
  for (const DiscoIdentity& id : identities_) {
    ids.push_back(&id);
  }
  std::sort(ids.begin(), ids.end(), [](const DiscoIdentity* a, const DiscoIdentity* b) {
    return std::tie(a->category, a->type, a->name) < std::tie(b->category, b->type, b->name);
  });
  std::vector<std::string> features = features_;
  std::sort(features.begin(), features.end());
  std::string s;
  for (const DiscoIdentity* id : ids) {
    s += id->category + "/" + id->type + "//" + id->name + "<";
  }
  for (const std::string& feature : features) {
    s += feature + "<";
  }
  // Extended forms (XEP-0115 §5.1 step 3): by FORM_TYPE, then each field by var with its value.
  std::vector<const DiscoExtension*> forms;
  for (const DiscoExtension& form : extensions_) {
    forms.push_back(&form);
  }
  std::sort(forms.begin(), forms.end(), [](const DiscoExtension* a, const DiscoExtension* b) {
    return a->form_type < b->form_type;
  });
  for (const DiscoExtension* form : forms) {
    s.append(form->form_type).append("<");
    auto fields = form->fields;
    std::sort(fields.begin(), fields.end());
    for (const auto& [var, value] : fields) {
      s.append(var).append("<").append(value).append("<");
    }
  }
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return xmpp::base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

void ModuleHost::add_disco_feature(std::string_view var) {
  if (std::find(features_.begin(), features_.end(), var) == features_.end()) {
    features_.emplace_back(var);
  }
}

void ModuleHost::add_account_disco_feature(std::string_view var) {
  if (std::find(account_features_.begin(), account_features_.end(), var) ==
      account_features_.end()) {
    account_features_.emplace_back(var);
  }
}

void ModuleHost::add_account_disco_identity(DiscoIdentity identity) {
  account_identities_.push_back(std::move(identity));
}

void ModuleHost::add_disco_extension(DiscoExtension extension) {
  extensions_.push_back(std::move(extension));
}

void ModuleHost::add_disco_identity(DiscoIdentity identity) {
  identities_.push_back(std::move(identity));
}

void ModuleHost::on_iq(IqType type, QName payload, Addressed addressed, IqHandler handler) {
  auto [it, added] =
      iq_handlers_.try_emplace(key(type, addressed, payload.ns, payload.name),
                               Registration{std::move(handler), starting_, timing_for(starting_)});
  if (!added && clash_.empty()) {
    clash_ = "modules '" + std::string(it->second.module) + "' and '" + std::string(starting_) +
             "' both handle IQ " + (type == IqType::Get ? "get" : "set") + " <" +
             std::string(payload.name) + " xmlns='" + std::string(payload.ns) +
             "'/>: enable only one of them";
    return;
  }
  unauthenticated_iqs_ = unauthenticated_iqs_ || addressed == Addressed::Unauthenticated;
}

bool ModuleHost::dispatch_iq(const xmpp::Element& iq, Addressed addressed, const xmpp::Jid& from,
                             const ReplySink& reply, std::string_view peer_address) {
  auto send_error = [&](const xmpp::StanzaError& error) {
    if (xmpp::StanzaPtr r = xmpp::make_error_reply(iq, error)) {
      reply(std::move(r));
    }
  };
  std::string_view type_text = iq.attr("type");
  IqType type = type_text == "set" ? IqType::Set : IqType::Get;
  // RFC 6120 §8.2.3: a get or set carries exactly one payload element.
  if (iq.child_element_count() != 1) {
    send_error(xmpp::StanzaError::bad_request("one payload expected"));
    return true;
  }
  const xmpp::Element& payload = *iq.first_child();
  auto it = iq_handlers_.find(key(type, addressed, payload.ns(), payload.name()));
  if (it == iq_handlers_.end()) {
    return false;
  }
  IqRequest request(iq, payload, from, reply);
  request.set_peer_address(std::string(peer_address));
  Timed timed(it->second.timing);
  try {
    it->second.handler(request);
  } catch (const std::exception& e) {
    kLog.error("module.exception", "a module's IQ handler threw: internal-server-error sent",
               {{"module", it->second.module},
                {"error", e.what()},
                {"ns", payload.ns()},
                {"name", payload.name()}});
    if (!request.answered()) {
      send_error(xmpp::StanzaError::internal_server_error());
    }
    return true;
  }
  if (!request.answered()) {
    kLog.error("module.unanswered", "a module left an IQ unanswered: internal-server-error sent",
               {{"module", it->second.module}, {"ns", payload.ns()}, {"name", payload.name()}});
    send_error(xmpp::StanzaError::internal_server_error());
  } else if (xmpp::StanzaPtr now = request.take_reply()) {
    reply(std::move(now));
  }
  return true;
}

void ModuleHost::order_hooks() {
  auto by_stage = [](auto& hooks) {
    std::stable_sort(hooks.begin(), hooks.end(),
                     [](const auto& a, const auto& b) { return a.stage < b.stage; });
  };
  for (std::size_t kind = 0; kind < 3; ++kind) {
    by_stage(outbound_[kind]);
    by_stage(inbound_[kind]);
  }
  by_stage(undeliverable_message_);
  by_stage(message_delivered_);
  by_stage(fan_out_);
  by_stage(presence_broadcast_);
  by_stage(account_deleted_);
  by_stage(session_started_);
  by_stage(session_ended_);
  by_stage(account_online_);
  by_stage(account_offline_);
}

Verdict ModuleHost::run_hooks(const std::vector<Hook<StanzaHook>>& hooks, xmpp::StanzaPtr& stanza) {
  for (const Hook<StanzaHook>& hook : hooks) {
    Verdict verdict = Verdict::Continue;
    Timed timed(hook.timing);
    try {
      verdict = hook.fn(stanza);
    } catch (...) {
      // A refusal that cannot be decided fails closed; any other hook is skipped.
      const bool drop = hook.stage == HookStage::Refuse;
      kLog.error("module.exception",
                 drop ? "a module's refusal hook threw: the stanza is dropped"
                      : "a module's hook threw: the stanza goes on without it",
                 {{"module", hook.module}, {"error", exception_text()}});
      if (drop) {
        stanza.reset();
        return Verdict::Handled;
      }
    }
    if (verdict == Verdict::Handled || !stanza) {
      return Verdict::Handled;
    }
  }
  return Verdict::Continue;
}

template <typename Event>
void ModuleHost::notify(const std::vector<Hook<std::function<void(const Event&)>>>& hooks,
                        const Event& event) {
  for (const auto& hook : hooks) {
    try {
      hook.fn(event);
    } catch (...) {
      kLog.error("module.exception", "a module's hook threw: the others still run",
                 {{"module", hook.module}, {"error", exception_text()}});
    }
  }
}

Verdict ModuleHost::run_outbound(xmpp::StanzaPtr& stanza) {
  auto kind = static_cast<std::size_t>(stanza->kind());
  return kind < 3 ? run_hooks(outbound_[kind], stanza) : Verdict::Continue;
}

Verdict ModuleHost::run_inbound(xmpp::StanzaPtr& stanza) {
  auto kind = static_cast<std::size_t>(stanza->kind());
  return kind < 3 ? run_hooks(inbound_[kind], stanza) : Verdict::Continue;
}

Verdict ModuleHost::run_undeliverable_message(xmpp::StanzaPtr& stanza) {
  return run_hooks(undeliverable_message_, stanza);
}

void ModuleHost::run_message_delivered(const MessageDelivered& delivered) {
  notify(message_delivered_, delivered);
}

bool ModuleHost::run_fan_out(FanOut& fan_out) {
  for (const auto& filter : fan_out_) {
    try {
      filter.fn(fan_out);
    } catch (...) {
      kLog.error("module.exception", "a module's fan-out filter threw: no copy goes to its host",
                 {{"module", filter.module}, {"error", exception_text()}});
      return false;
    }
  }
  return true;
}

void ModuleHost::run_presence_broadcast(const PresenceBroadcast& broadcast) {
  notify(presence_broadcast_, broadcast);
}

void ModuleHost::run_session_started(const xmpp::Jid& full) {
  notify(session_started_, SessionEvent{full});
}

void ModuleHost::run_session_ended(const xmpp::Jid& full) {
  notify(session_ended_, SessionEvent{full});
}

void ModuleHost::run_account_online(std::string_view bare_jid) {
  notify(account_online_, AccountEvent{bare_jid});
}

void ModuleHost::run_account_offline(std::string_view bare_jid) {
  notify(account_offline_, AccountEvent{bare_jid});
}

void ModuleHost::run_stopping() {
  if (stopped_) {
    return;
  }
  for (const auto& hook : stopping_) {
    try {
      hook.fn();
    } catch (...) {
      kLog.error("module.exception", "a module's stopping hook threw",
                 {{"module", hook.module}, {"error", exception_text()}});
    }
  }
}

void ModuleHost::add_stream_features(xmpp::Element& features, StreamStage stage) const {
  for (const StreamFeature& feature : stream_features_) {
    if (feature.stage == stage) {
      features.add_child(feature.name, feature.ns);
    }
  }
}

bool ModuleHost::serves_domain(std::string_view domain) const {
  return std::any_of(served_domains_.begin(), served_domains_.end(),
                     [domain](const ServedDomain& d) { return d.domain == domain; });
}

bool ModuleHost::dispatch_to_domain(xmpp::StanzaPtr& stanza, std::string_view domain) {
  if (stopped_) {
    return serves_domain(domain);  // the server is stopping: nobody to hand it to
  }
  for (std::size_t i = 0; i < served_domains_.size(); ++i) {
    if (served_domains_[i].domain != domain) {
      continue;
    }
    const Hook<DomainHandler>& handler = domain_handlers_[i];
    try {
      handler.fn(std::move(stanza));
    } catch (...) {
      kLog.error("module.exception", "a module's domain handler threw: the stanza is dropped",
                 {{"module", handler.module}, {"domain", domain}, {"error", exception_text()}});
    }
    return true;
  }
  return false;
}

void ModuleHost::serve_domain(std::string_view label, std::string_view name,
                              DomainHandler handler) {
  only_in_start("serve_domain");
  served_domains_.push_back(ServedDomain{std::string(label) + "." + host_, std::string(name)});
  domain_handlers_.push_back(Hook<DomainHandler>{std::move(handler), HookStage::Handle, starting_});
}

void ModuleHost::add_stream_feature(QName feature, StreamStage stage) {
  stream_features_.push_back(
      StreamFeature{std::string(feature.ns), std::string(feature.name), stage});
}

void ModuleHost::on_outbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) {
  if (static_cast<std::size_t>(kind) < 3) {
    add_hook(outbound_[static_cast<std::size_t>(kind)], stage, std::move(hook));
  }
}

void ModuleHost::on_inbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) {
  if (static_cast<std::size_t>(kind) < 3) {
    add_hook(inbound_[static_cast<std::size_t>(kind)], stage, std::move(hook));
  }
}

void ModuleHost::on_undeliverable_message(HookStage stage, StanzaHook hook) {
  add_hook(undeliverable_message_, stage, std::move(hook));
}

void ModuleHost::on_message_delivered(HookStage stage, MessageDeliveredHook hook) {
  add_hook(message_delivered_, stage, std::move(hook));
}

void ModuleHost::on_fan_out(FanOutFilter filter) {
  add_hook(fan_out_, HookStage::Refuse, std::move(filter));
}

void ModuleHost::on_presence_broadcast(HookStage stage, PresenceBroadcastHook hook) {
  add_hook(presence_broadcast_, stage, std::move(hook));
}

void ModuleHost::on_account_deleted(HookStage stage, AccountDeletedHook hook) {
  add_hook(account_deleted_, stage, std::move(hook));
}

void ModuleHost::on_session_started(HookStage stage, SessionHook hook) {
  add_hook(session_started_, stage, std::move(hook));
}

void ModuleHost::on_session_ended(HookStage stage, SessionHook hook) {
  add_hook(session_ended_, stage, std::move(hook));
}

void ModuleHost::on_account_online(HookStage stage, AccountHook hook) {
  add_hook(account_online_, stage, std::move(hook));
}

void ModuleHost::on_account_offline(HookStage stage, AccountHook hook) {
  add_hook(account_offline_, stage, std::move(hook));
}

void ModuleHost::on_stopping(std::function<void()> hook) {
  only_in_start("on_stopping");
  add_hook(stopping_, HookStage::Observe, std::move(hook));
}

void ModuleHost::only_in_start(std::string_view call) const {
  // These name what they create after the module (and a store opens under the writer's lock
  // order only before traffic): a call after start is a module's bug, caught at once.
  if (starting_.empty()) {
    throw std::logic_error("ModuleContext::" + std::string(call) + " outside a module's start()");
  }
}

ModuleServices& ModuleHost::services() const {
  if (services_ == nullptr) {
    throw std::logic_error("module services are not available in this host");
  }
  return *services_;
}

void ModuleHost::send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) {
  services().send_to_session(full, std::move(stanza));
}

void ModuleHost::route(xmpp::StanzaPtr stanza) {
  services().route(std::move(stanza));
}

void ModuleHost::fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
                         std::vector<xmpp::Jid> recipients) {
  services().fan_out(std::move(stanza), std::move(recipients));
}

std::shared_ptr<void> ModuleHost::hold_ack() {
  return services().hold_ack();
}

std::vector<ResourceInfo> ModuleHost::resources(std::string_view bare_jid) const {
  return services().resources(bare_jid);
}

void ModuleHost::set_interested(const xmpp::Jid& full) {
  services().set_interested(full);
}

void ModuleHost::set_flag(const xmpp::Jid& full, std::string_view flag, bool on) {
  services().set_flag(full, flag, on);
}

bool ModuleHost::account_exists(std::string_view bare_jid) const {
  return services().account_exists(bare_jid);
}

bool ModuleHost::store_short_of_room() const {
  return services().store_short_of_room();
}

void ModuleHost::close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) {
  services().close_sessions(bare_jid, error);
}

StoreId ModuleHost::open_store(std::string_view name, StoreScope scope) {
  only_in_start("open_store");
  if (services_ == nullptr) {
    return StoreId{};  // a host that only checks options (or answers IQs in a test): no store
  }
  auto opened = services_->store().open_store(name, scope);
  if (!opened) {
    throw ModuleStartError("module '" + std::string(starting_) + "': " + opened.error().message);
  }
  return opened.value();
}

Result<ReadTxn, StoreError> ModuleHost::read() const {
  return services().store().read();
}

void ModuleHost::write(StoreWrite write, StoreDone done) {
  services().write(std::move(write), std::move(done));
}

void ModuleHost::write_lazily(StoreWrite write, StoreDone done) {
  services().write_lazily(std::move(write), std::move(done));
}

void ModuleHost::create_account(std::string_view bare_jid, std::string password, AccountDone done) {
  write_account(bare_jid, std::move(password), /*create=*/true, std::move(done));
}

void ModuleHost::set_password(std::string_view bare_jid, std::string password, AccountDone done) {
  write_account(bare_jid, std::move(password), /*create=*/false, std::move(done));
}

void ModuleHost::write_account(std::string_view bare_jid, std::string password, bool create,
                               AccountDone done) {
  auto change = std::make_shared<AccountChange>(AccountChange::Done);
  services().write(
      [bare = std::string(bare_jid), password = std::move(password), create,
       change](WriteTxn& txn) -> Result<void, StoreError> {
        if (create && storage::AccountStore::exists(txn, bare)) {
          *change = AccountChange::Exists;
          return {};
        }
        auto account = storage::make_account(password);
        if (!account) {
          *change = AccountChange::BadPassword;
          return {};
        }
        return storage::AccountStore::put(txn, bare, *account);
      },
      [change, done = std::move(done)](StoreStatus status) { done(status, *change); });
}

void ModuleHost::delete_account(std::string_view bare_jid, StoreDone done) {
  services().write(
      [store = &services().store(), bare = std::string(bare_jid)](WriteTxn& txn) {
        auto deleted = storage::delete_account(*store, txn, bare);
        return deleted ? Result<void, StoreError>{}
                       : Result<void, StoreError>(Err(deleted.error()));
      },
      [this, bare = std::string(bare_jid), done = std::move(done)](StoreStatus status) {
        if (status) {
          notify(account_deleted_, AccountDeleted{bare});
        }
        done(status);
      });
}

void ModuleHost::post(std::function<void()> task) {
  services().post(std::move(task));
}

void ModuleHost::after(std::chrono::milliseconds delay, std::function<void()> task) {
  services().after(delay, std::move(task));
}

void ModuleHost::offload(std::function<void()> job, std::function<void()> done) {
  services().offload(std::move(job), std::move(done));
}

void ModuleHost::on_http(HttpRoute route) {
  only_in_start("on_http");
  if (route.path.empty() || route.path.front() != '/' || !route.handler) {
    throw std::logic_error("an HTTP route needs a path starting with '/' and a handler");
  }
  for (const Route& r : http_routes_) {
    if (r.route.path == route.path && clash_.empty()) {
      clash_ = "modules '" + std::string(r.module) + "' and '" + std::string(starting_) +
               "' both serve the HTTP path " + route.path;
    }
  }
  http_routes_.push_back(Route{std::move(route), starting_});
}

const HttpRoute* ModuleHost::find_http_route(std::string_view path) const {
  const HttpRoute* best = nullptr;
  for (const Route& r : http_routes_) {
    const std::string& p = r.route.path;
    const bool matches = p.back() == '/' ? path.starts_with(p) : path == p;
    if (matches && (best == nullptr || p.size() > best->path.size())) {
      best = &r.route;
    }
  }
  return best;
}

std::string ModuleHost::http_url(std::string_view path) const {
  return services().http_base_url(host_) + std::string(path);
}

void ModuleHost::http_request(HttpClientRequest request, HttpClientDone done) {
  services().http_request(std::move(request), std::move(done));
}

std::string ModuleHost::data_directory() {
  only_in_start("data_directory");
  if (services_ == nullptr) {
    return {};  // a host that only checks options creates nothing
  }
  std::string directory = services().storage_path() + "/files/" + std::string(starting_);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    throw ModuleStartError("cannot create " + directory + ": " + error.message());
  }
  return directory;
}

void ModuleHost::every(std::chrono::seconds period, std::function<void()> fn) {
  only_in_start("every");
  timers_.push_back(Timer{static_cast<std::uint64_t>(std::max<std::int64_t>(period.count(), 1)), 0,
                          std::move(fn), starting_});
}

void ModuleHost::run_timers(std::uint64_t now) {
  for (Timer& timer : timers_) {
    if (timer.due == 0) {
      timer.due = now + timer.period;
    }
    if (now < timer.due) {
      continue;
    }
    timer.due = now + timer.period;
    try {
      timer.fn();
    } catch (...) {
      kLog.error("module.exception", "a module's timer threw: it runs again at its next period",
                 {{"module", timer.module}, {"error", exception_text()}});
    }
  }
}

std::shared_ptr<void> ModuleHost::shared_state(std::string_view key, const std::type_info& type,
                                               const std::function<std::shared_ptr<void>()>& make) {
  only_in_start("shared");
  if (services_ == nullptr) {
    return make();  // a host that only checks options: nothing to share
  }
  // Within the module's name: two modules never meet by accident.
  return services_->shared_state(std::string(starting_) + "/" + std::string(key), type, make);
}

void ModuleHost::add_gauge(std::string_view name, std::string_view help,
                           std::function<double()> read) {
  // tern_MODULE_…: a module's gauge can never take the name of the server's own series.
  const std::string prefix = "tern_" + std::string(starting_) + "_";
  const bool valid = name.starts_with(prefix) && name.size() > prefix.size() &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  if (!valid) {
    throw ModuleStartError("gauge name '" + std::string(name) + "' is not " + prefix +
                           " and lower-case letters, digits and '_'");
  }
  if (services_ != nullptr) {
    services_->add_gauge(std::string(name), std::string(help), std::move(read));
  }
}

void ModuleHost::every_on_one_worker(std::string_view key, std::chrono::seconds period,
                                     std::function<void()> fn) {
  // Who runs the job: the instance whose check beat last. A stopped instance's timers stop, so
  // its beat goes stale and the next instance to check takes over.
  struct Claim {
    std::mutex mutex;
    const void* owner = nullptr;
    std::int64_t beat = 0;      // steady seconds of the owner's last check
    std::int64_t last_run = 0;  // when the job last ran
  };
  auto claim = shared<Claim>(std::string(key) + "/one-worker");
  auto token = std::make_shared<char>();  // this registration's identity
  const std::chrono::seconds check = std::min(period, std::chrono::seconds(10));
  every(check, [claim, token, period, check, fn = std::move(fn)] {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    bool due = false;
    {
      std::lock_guard lock(claim->mutex);
      if (claim->owner != token.get() && now - claim->beat > 3 * check.count()) {
        claim->owner = token.get();  // nobody, or an owner that stopped checking
        claim->last_run = now;       // runs one period from now, as every() would
      }
      if (claim->owner != token.get()) {
        return;
      }
      claim->beat = now;
      if (now - claim->last_run >= period.count()) {
        claim->last_run = now;
        due = true;
      }
    }
    if (due) {
      fn();
    }
  });
}

metrics::Histogram* ModuleHost::timing_for(std::string_view module) {
  auto it = timings_.find(module);
  if (it == timings_.end()) {
    it = timings_
             .emplace(std::string(module),
                      std::make_unique<metrics::Histogram>(metrics::kLatencyMicros))
             .first;
  }
  return it->second.get();
}

void ModuleHost::add_timings(std::map<std::string, metrics::HistogramSnapshot>& into) const {
  for (const auto& [module, histogram] : timings_) {
    into[module].merge(histogram->snapshot());
  }
}

std::shared_ptr<void> SharedStates::get(const std::string& key, const std::type_info& type,
                                        const std::function<std::shared_ptr<void>()>& make) {
  std::lock_guard lock(mutex_);
  auto [it, added] = states_.try_emplace(key, &type, nullptr);
  if (added) {
    it->second.second = make();
  } else if (*it->second.first != type) {
    // A module loaded again from its shared object (ternctl module reload) defines its types
    // anew: the same type by name is the same state, handed to the new code. A module whose
    // state changes shape between builds must change the key (docs/module-guide.md).
    if (std::string_view(it->second.first->name()) != std::string_view(type.name())) {
      throw std::logic_error("shared state '" + key + "' asked for with two types");
    }
    it->second.first = &type;
  }
  return it->second.second;
}

log::Logger ModuleHost::log() const {
  return starting_.empty() ? kLog : log::Logger(starting_);
}

}  // namespace tern::core
