// SPDX-License-Identifier: MIT
// THE header for module authors: everything a module may use, and nothing else (modules/ gets
// only this folder on its include path from core/; scripts/check_layering.sh enforces it).
//
// A module is a class with start(ModuleContext&) and an optional stop(). The server makes one
// instance per (virtual host × worker): instance state belongs to one thread and needs no locks.
// Everything a module registers through its context is removed by the server when the module
// stops; there is no remove_* call to keep in step.
//
//   class Ping final : public Module {
//    public:
//     void start(ModuleContext& ctx) override {
//       ctx.add_disco_feature(xmpp::ns::kPing);
//       ctx.on_iq(IqType::Get, {xmpp::ns::kPing, "ping"}, Addressed::ToServer,
//                 [](IqRequest& req) { req.reply_result(); });
//     }
//   };
//   TERN_MODULE(Ping, ping, "XEP-0199 ping of the server")
//
// Rules the server keeps for every module:
//   - Exactly one reply per IQ: reply_result() or reply_error(). A handler that returns without
//     answering gets internal-server-error sent for it, and the module is named in the log.
//   - An IQ whose payload no module registered gets service-unavailable (RFC 6120 §8.4).
//   - Handlers run on the worker's event loop: they must not block.
//   - An exception escaping a handler becomes internal-server-error; the worker carries on.
//   - One module per IQ payload: a second handler for the same (type, payload, addressed) stops
//     the server at start, naming both modules.
//   - Stanza hooks run by HookStage, not by the order of [modules] enabled.
//   - A handler that must wait (for a store write) calls req.defer() and answers through the
//     DeferredIq later, on the same worker; one dropped unanswered sends internal-server-error.
//   - Store writes go through write(): they commit on the writer thread (group commit) and the
//     completion runs back on the module's worker. Reads use read() directly (LMDB
//     reads are snapshots of memory-mapped pages; they wait only while the map is resized).
//   - Logging goes through log(), taken in start(): lines carry the module's name as their
//     component, so [log] components = { NAME = "debug" } sets the module's level. One line per
//     event, data in fields, never a password or stanza content (log/logger.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <variant>
#include <vector>

#include "log/logger.h"
#include "tern/http.h"
#include "tern/store.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"
#include "xmpp/stream_error.h"

namespace tern {

enum class IqType : std::uint8_t { Get, Set };

// Whom the IQ was addressed to.
enum class Addressed : std::uint8_t {
  ToServer,   // the host itself (no 'to', or the domain)
  ToAccount,  // the bare JID of a local account (handled by the server on its behalf)
  // From a stream that has not authenticated yet (XEP-0077 in-band registration): from() is
  // empty, 'to' is ignored, and the reply goes back over that stream. Only over TLS (or where
  // the configuration allows authentication without it).
  Unauthenticated,
};

// Which stream features list an element.
enum class StreamStage : std::uint8_t {
  Authenticated,         // the features after SASL (with bind)
  BeforeAuthentication,  // the features offering SASL (XEP-0077's <register/>)
};

// A payload element's qualified name.
struct QName {
  std::string_view ns;
  std::string_view name;
};

// Sends one stanza to the session an IQ came from (set by the server).
using ReplySink = std::function<void(xmpp::StanzaPtr)>;

// The answer to an IQ owed after its handler returned (see IqRequest::defer). Answer it once on
// the worker that created it; if it is destroyed unanswered, internal-server-error is sent.
class DeferredIq {
 public:
  DeferredIq(xmpp::StanzaPtr iq, ReplySink sink) : iq_(std::move(iq)), sink_(std::move(sink)) {}
  DeferredIq(const DeferredIq&) = delete;
  DeferredIq& operator=(const DeferredIq&) = delete;
  ~DeferredIq();

  const xmpp::Element& iq() const { return iq_->root(); }
  // Sends type='result'; `fill`, if given, completes the payload element named (or the root).
  void reply_result(QName payload = {}, const std::function<void(xmpp::Element&)>& fill = {});
  void reply_error(const xmpp::StanzaError& error);

 private:
  xmpp::StanzaPtr iq_;
  ReplySink sink_;
  bool answered_ = false;
};

// One IQ get or set, to be answered exactly once.
class IqRequest {
 public:
  IqRequest(const xmpp::Element& iq, const xmpp::Element& payload, xmpp::Jid from,
            ReplySink later = {})
      : iq_(iq), payload_(payload), from_(std::move(from)), later_(std::move(later)) {
    if (std::string_view to = iq_.attr("to"); !to.empty()) {
      if (auto parsed = xmpp::Jid::parse(to)) {
        to_ = std::move(parsed).value();
      }
    }
  }
  IqRequest(const IqRequest&) = delete;
  IqRequest& operator=(const IqRequest&) = delete;

  const xmpp::Element& iq() const { return iq_; }
  const xmpp::Element& payload() const { return payload_; }
  // The sender's full JID (stamped by the server: it is authentic).
  const xmpp::Jid& from() const { return from_; }
  // The 'to', parsed and prepared (RFC 7622: "Juliet@Example.COM" is juliet@example.com); empty
  // when absent (the sender's own account) or not a JID (the router refuses those before).
  const std::optional<xmpp::Jid>& to() const { return to_; }
  // Whether the IQ is for the sender's own account ('to' absent or the sender's bare JID, in any
  // spelling the JID rules equate), as a roster, blocklist or registration request must be:
  // other users' accounts are not theirs.
  bool to_own_account() const {
    return iq_.attr("to").empty() ||
           (to_ && !to_->has_resource() && to_->bare_view() == from_.bare_view());
  }

  // Answers with type='result'. With a name, the result carries that payload element, which is
  // returned for the handler to fill; without one, the result is empty and its root is returned.
  xmpp::Element& reply_result(QName payload = {});
  void reply_error(const xmpp::StanzaError& error);

  // Promises an answer later; the handler returns without one.
  std::shared_ptr<DeferredIq> defer();

  // The client's IP address, for a request from a stream that has not authenticated
  // (Addressed::Unauthenticated): what per-address limits count; empty otherwise.
  const std::string& peer_address() const { return peer_address_; }
  void set_peer_address(std::string address) { peer_address_ = std::move(address); }

  bool answered() const { return reply_ != nullptr || deferred_; }
  // The server takes the reply after the handler returns.
  xmpp::StanzaPtr take_reply() { return std::move(reply_); }

 private:
  const xmpp::Element& iq_;
  const xmpp::Element& payload_;
  xmpp::Jid from_;
  std::optional<xmpp::Jid> to_;
  ReplySink later_;
  std::string peer_address_;
  xmpp::StanzaPtr reply_;
  bool deferred_ = false;
};

using IqHandler = std::function<void(IqRequest&)>;

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;
};

// XEP-0128: a data form extending disco#info (e.g. XEP-0363's max-file-size). Each field has one
// value here.
struct DiscoExtension {
  std::string form_type;                                    // the FORM_TYPE
  std::vector<std::pair<std::string, std::string>> fields;  // (var, value)
};

// A connected resource of an account, as the session registry knows it.
// The flag of a session whose connection is gone while it waits to be resumed (XEP-0198).
inline constexpr std::string_view kDetachedFlag = "detached";

struct ResourceInfo {
  xmpp::Jid jid;  // full JID
  bool available = false;
  int priority = 0;
  bool interested = false;  // asked for the roster: it gets roster pushes (RFC 6121 §2.1.6)
  // Per-session switches modules set (e.g. "carbons"), seen by every worker. The server sets
  // kDetachedFlag while a XEP-0198 session waits for its client to resume it.
  std::vector<std::string> flags;
  bool has_flag(std::string_view flag) const {
    for (const std::string& f : flags) {
      if (f == flag) {
        return true;
      }
    }
    return false;
  }
  // Its last broadcast presence while available ('from' is the full JID, no 'to').
  std::shared_ptr<const xmpp::Stanza> presence;
};

// What a hook decided: let the server go on with the stanza, or stop because the hook took it.
enum class Verdict : std::uint8_t { Continue, Handled };

// Where a hook runs among the hooks of the same event, whatever the order of [modules] enabled:
// by stage, then (within a stage) in the order the modules were enabled. A reordered list can
// therefore never let a stanza reach storage or delivery before the modules that may refuse it.
enum class HookStage : std::uint8_t {
  // Decides whether the stanza may pass at all (blocking, rate limits). A Refuse hook that throws
  // drops the stanza: such a hook fails closed.
  Refuse,
  // Changes the stanza in place (strips forged elements, stamps ids) before anyone copies it.
  Rewrite,
  // Sees the stanza without taking it (carbon copies, push notifications); returns Continue.
  Observe,
  // Takes the stanza over when it is theirs (subscription handling, offline storage).
  Handle,
};
// A hook may change the stanza or take it (move it out and return Handled).
using StanzaHook = std::function<Verdict(xmpp::StanzaPtr& stanza)>;

enum class PresenceChange : std::uint8_t {
  Initial,      // the resource became available (RFC 6121 §4.2)
  Update,       // it was and stays available (§4.4)
  Unavailable,  // it became unavailable, or its session ended while available (§4.5)
};

// A resource's broadcast presence (no 'to'), after the server recorded it and sent it to the
// account's own resources. Also raised, with a presence the server made, for a session that
// ends while available.
struct PresenceBroadcast {
  const xmpp::Stanza& presence;  // 'from' is the full JID
  const xmpp::Jid& from;
  PresenceChange change;
};
using PresenceBroadcastHook = std::function<void(const PresenceBroadcast&)>;

// A message about to be handed to sessions of one account (for carbons, XEP-0280). The hook
// may still edit it (XEP-0280 §9 removes <private/>): the sessions get it as the hooks left it.
// A hook that must know which of those resources got the message adds a callback to
// `acknowledged`: it is called once for each resource whose client acknowledged its copy
// (XEP-0198), or had it written without stream management, on that session's worker (post to
// your own).
using AcknowledgedHook = std::function<void(const xmpp::Jid& resource)>;
struct MessageDelivered {
  xmpp::Stanza& message;
  const std::vector<xmpp::Jid>& resources;  // the full JIDs it went to
  std::vector<AcknowledgedHook>* acknowledged = nullptr;
};
using MessageDeliveredHook = std::function<void(const MessageDelivered&)>;

// The recipients at this host of a fan-out (ModuleContext::fan_out), before any copy goes: a
// filter removes those who must not get theirs (blocking, XEP-0191), answering for them as it
// would for a routed copy. Like a Refuse hook, a filter that throws drops the host's copies.
struct FanOut {
  const xmpp::Stanza& stanza;          // without 'to'
  std::vector<xmpp::Jid>& recipients;  // full JIDs of accounts of this host
};
using FanOutFilter = std::function<void(FanOut&)>;

struct AccountDeleted {
  std::string_view bare_jid;
};

// A stanza addressed to a domain a module serves (ModuleContext::serve_domain), or to a JID at it.
// The module owns it: it answers IQs, bounces what it refuses, and sends through route().
using DomainHandler = std::function<void(xmpp::StanzaPtr stanza)>;

// A domain served by a module of the host, as the host's disco#items lists it (XEP-0030 §4).
struct ServedDomain {
  std::string domain;  // "conference.example.org"
  std::string name;    // "Chatrooms"
};
using AccountDeletedHook = std::function<void(const AccountDeleted&)>;

// A session of an account of this host: it bound its resource (RFC 6120 §7), or it ended — closed,
// replaced by a newer session of the same full JID, or its XEP-0198 wait for a resumption ran
// out (a session waiting to be resumed has not ended; a resumed one goes on). Every started
// session ends once.
struct SessionEvent {
  const xmpp::Jid& jid;  // full JID
};
using SessionHook = std::function<void(const SessionEvent&)>;

// An account's first session started (online), or its last one ended (offline). Whether the
// account has sent presence is another matter (on_presence_broadcast).
struct AccountEvent {
  std::string_view bare_jid;
};
using AccountHook = std::function<void(const AccountEvent&)>;

using StoreWrite = std::function<Result<void, StoreError>(WriteTxn&)>;
// How a store write ended. It converts to true when the write committed, so a completion may
// simply take `bool ok`; one that answers a client differently for a full disk reads the rest.
struct StoreStatus {
  bool committed = false;
  bool out_of_space = false;  // not committed because the disk or the store's map is full
  operator bool() const { return committed; }  // NOLINT(google-explicit-constructor)
};
// Runs on the module's worker once the write committed durably or failed.
using StoreDone = std::function<void(StoreStatus status)>;

// What became of an account creation or password change that committed.
enum class AccountChange : std::uint8_t {
  Done,
  Exists,       // create_account: the name is taken
  BadPassword,  // the password cannot be used (SASLprep refused it)
};
using AccountDone = std::function<void(StoreStatus status, AccountChange change)>;

// A module cannot start (a store that cannot be opened, say); the server refuses to start and
// prints what().
class ModuleStartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad value in a module's options; the server refuses to start and prints what().
class ModuleOptionError : public ModuleStartError {
 public:
  using ModuleStartError::ModuleStartError;
};

// A module's [modules.NAME] options, read in start(). Each getter reads one key (absent: the
// fallback) and throws ModuleOptionError naming the file and line for a value of the wrong type
// or out of range. After start() the server refuses every key the module never asked for, so a
// misspelt option stops ternd instead of being ignored.
class ModuleOptions {
 public:
  struct Value {
    std::variant<bool, std::int64_t, std::string> value;
    std::string where;  // "file:line" or "--set …"
  };
  ModuleOptions() = default;
  ModuleOptions(std::string module, std::map<std::string, Value> values)
      : module_(std::move(module)), values_(std::move(values)) {}

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool boolean(std::string_view key, bool fallback);
  std::string string(std::string_view key, std::string_view fallback);
  // A string the module cannot work without: missing or empty stops the server with the key.
  std::string required_string(std::string_view key);
  // Keys present but never read, with where they were written.
  std::vector<std::string> unread() const;

 private:
  const Value* find(std::string_view key);
  [[noreturn]] void fail(const Value& value, std::string_view key, std::string_view expected) const;

  std::string module_;
  std::map<std::string, Value> values_;
  std::set<std::string, std::less<>> read_;
};

class ModuleContext {
 public:
  virtual ~ModuleContext() = default;
  // This module's [modules.NAME] options (valid during start()).
  virtual ModuleOptions& options() = 0;
  // The virtual host this instance serves.
  virtual std::string_view host() const = 0;
  // XEP-0030 features and identities of the host.
  virtual void add_disco_feature(std::string_view var) = 0;
  virtual void add_disco_identity(DiscoIdentity identity) = 0;
  virtual const std::vector<std::string>& disco_features() const = 0;
  virtual const std::vector<DiscoIdentity>& disco_identities() const = 0;
  virtual void add_disco_extension(DiscoExtension extension) = 0;
  virtual const std::vector<DiscoExtension>& disco_extensions() const = 0;
  // The XEP-0115 node#ver the host advertises in its stream features; disco#info on it is the
  // same as without a node (XEP-0115 §6.2).
  virtual std::string caps_node_ver() const = 0;
  // A feature of every account, in the disco#info its owner gets for the bare JID (XEP-0357).
  virtual void add_account_disco_feature(std::string_view var) = 0;
  virtual const std::vector<std::string>& account_disco_features() const = 0;
  // An identity of every account besides account/registered (XEP-0163's pubsub/pep).
  virtual void add_account_disco_identity(DiscoIdentity identity) = 0;
  virtual const std::vector<DiscoIdentity>& account_disco_identities() const = 0;
  // Handles IQs of `type` whose single payload is `payload`, addressed as given.
  virtual void on_iq(IqType type, QName payload, Addressed addressed, IqHandler handler) = 0;
  // An element the stream features list (e.g. roster versioning, after authentication).
  virtual void add_stream_feature(QName feature,
                                  StreamStage stage = StreamStage::Authenticated) = 0;

  // Stanza hooks, run by stage (HookStage) until one returns Handled. An exception escaping a
  // hook is logged with the module's name; the stanza goes on to the next hook, except after a
  // Refuse hook, where it is dropped.
  // A stanza of `kind` with a 'to' that a client of this host sent ('from' stamped), before
  // routing.
  virtual void on_outbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) = 0;
  // A stanza of `kind` for an account of this host (bare or full 'to'), before delivery; for
  // presence also when the account does not exist (so that a module can refuse subscriptions).
  virtual void on_inbound(xmpp::StanzaKind kind, HookStage stage, StanzaHook hook) = 0;
  // A message for an existing account of this host that no resource can take now (RFC 6121
  // §8.5.2.2.1 and §8.5.3.2.1: offline storage). Unhandled, it is bounced service-unavailable.
  virtual void on_undeliverable_message(HookStage stage, StanzaHook hook) = 0;
  // When a message for an account of this host goes to some of its sessions, just before.
  virtual void on_message_delivered(HookStage stage, MessageDeliveredHook hook) = 0;
  // Recipients of a fan-out at this host (FanOut), before the copies go.
  virtual void on_fan_out(FanOutFilter filter) = 0;
  virtual void on_presence_broadcast(HookStage stage, PresenceBroadcastHook hook) = 0;
  // After delete_account committed (on the worker that asked for it): the account's records are
  // gone from every per-account store; a module forgets what it keeps about it in memory.
  // (ternctl deluser, another process, raises nothing: the server's sessions end on their own.)
  virtual void on_account_deleted(HookStage stage, AccountDeletedHook hook) = 0;
  // Sessions and accounts coming and going (SessionEvent, AccountEvent), raised on the worker
  // where it happened: an account's sessions may live on several workers, so its online and
  // offline events of a quick reconnect may run in either order on two of them. A module that
  // must know the account's state now asks resources().
  virtual void on_session_started(HookStage stage, SessionHook hook) = 0;
  virtual void on_session_ended(HookStage stage, SessionHook hook) = 0;
  virtual void on_account_online(HookStage stage, AccountHook hook) = 0;
  virtual void on_account_offline(HookStage stage, AccountHook hook) = 0;
  // The server is about to stop, its sessions still open: what a module sends now reaches them
  // before their streams end with system-shutdown (XEP-0045 §11.2: rooms say so with 332).
  virtual void on_stopping(std::function<void()> hook) = 0;

  // A domain of its own, `label`.HOST (XEP-0045's conference service), valid from the start: every
  // stanza addressed to it or to a JID at it goes to `handler`, whichever worker it came from.
  // All stanzas for one bare JID at the domain (a room) reach the instance on one worker, chosen
  // by a hash of that bare JID, so what the module keeps per bare JID needs no locks: the router
  // hands stanzas between workers like any other delivery. The host's disco#items lists it.
  virtual void serve_domain(std::string_view label, std::string_view name,
                            DomainHandler handler) = 0;
  virtual const std::vector<ServedDomain>& served_domains() const = 0;

  // Sending. Both take stanzas whose 'from' the module set: they are trusted as they are.
  // To one connected resource; dropped if it is gone. (A module that must know the stanza
  // arrived puts an xmpp::DeliveryReceipt on it.)
  virtual void send_to_session(const xmpp::Jid& full, xmpp::StanzaPtr stanza) = 0;
  // Through the router as if from the server side: inbound hooks, then RFC 6121 delivery.
  virtual void route(xmpp::StanzaPtr stanza) = 0;
  // To many full JIDs at once: a room's groupchat message to its occupants' sessions (XEP-0045
  // §7.4). Each copy is `stanza` (which has no 'to') addressed to one recipient; the stanza is
  // serialised once for all of them, and each worker's sessions get theirs in one task. Only
  // messages of type groupchat take this path: the per-recipient hooks for one-to-one traffic
  // (archives, carbons, offline storage, push) leave groupchat alone, so they do not run; what
  // may refuse a copy is an on_fan_out filter. A recipient that is no established session here
  // gets its copy through route(), with every hook. Anything else is sent one copy at a time.
  virtual void fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
                       std::vector<xmpp::Jid> recipients) = 0;

  // XEP-0198 durability. A module that takes over a client's stanza asynchronously (a store
  // write) holds its acknowledgement: the sender is told the stanza is safe only once every copy
  // of the hold is gone (keep it in the write's completion). Null when nothing waits for an ack
  // (no stream management, or a stanza the server itself sent).
  virtual std::shared_ptr<void> hold_ack() = 0;

  // Sessions and accounts.
  virtual std::vector<ResourceInfo> resources(std::string_view bare_jid) const = 0;
  virtual void set_interested(const xmpp::Jid& full) = 0;
  // Sets or clears a per-session switch (see ResourceInfo::flags).
  virtual void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) = 0;
  virtual bool account_exists(std::string_view bare_jid) const = 0;
  // The store has less room than [storage] min_room: what can wait (offline storage) is refused
  // with resource-constraint until there is room again. A flag, checked every few seconds.
  virtual bool store_short_of_room() const = 0;
  // Ends every session of the account with `error` (the account was deleted, say).
  virtual void close_sessions(std::string_view bare_jid, const xmpp::StreamError& error) = 0;

  // Storage (tern/store.h). A module keeps its data in stores of its own, opened by name in
  // start(): `notes_ = ctx.open_store("notes");`. A per-account store keys every record under
  // "bare JID \0 …", and deleting the account deletes them without the module being asked. A
  // store that cannot be opened stops the server at start.
  virtual StoreId open_store(std::string_view name, StoreScope scope = StoreScope::PerAccount) = 0;
  // A read transaction: a snapshot that waits for no writer (only, briefly, for a map resize),
  // fine on the event loop; keep it short.
  virtual Result<ReadTxn, StoreError> read() const = 0;
  virtual void write(StoreWrite write, StoreDone done) = 0;
  // The same for a write nobody is told about when it is done (no acknowledgement held, no
  // reply waiting: a room's archive): it may wait up to [storage] lazy_commit_ms for other writes
  // to share its commit. Still in order with every other write.
  virtual void write_lazily(StoreWrite write, StoreDone done) = 0;
  // Deletes the account and its records in every per-account store (one commit); `done` reports
  // whether it was committed. The caller ends its sessions (close_sessions) when it should.
  virtual void delete_account(std::string_view bare_jid, StoreDone done) = 0;
  // Creates an account, or sets an account's password: the SCRAM credentials for every hash the
  // server offers are derived on the writer thread (PBKDF2 costs milliseconds, never an event
  // loop's), and stored in one commit.
  virtual void create_account(std::string_view bare_jid, std::string password,
                              AccountDone done) = 0;
  virtual void set_password(std::string_view bare_jid, std::string password, AccountDone done) = 0;

  // State shared by this module's instances on every worker and host (a module keeps no
  // process-global singleton); asked for in start(): created on first use, by T's default
  // constructor, under `key` (within the module's name); the same key always gives the same object.
  // Access from several workers is T's own business (a mutex inside it).
  template <typename T>
  std::shared_ptr<T> shared(std::string_view key) {
    return std::static_pointer_cast<T>(shared_state(
        key, typeid(T), [] { return std::static_pointer_cast<void>(std::make_shared<T>()); }));
  }
  // What shared() uses: the object under `key` or, the first time, make()'s. A key already used
  // with another type throws std::logic_error.
  virtual std::shared_ptr<void> shared_state(
      std::string_view key, const std::type_info& type,
      const std::function<std::shared_ptr<void>()>& make) = 0;

  // A gauge for /metrics (docs/operations.md): `name` ("tern_MODULE_" and lower-case letters,
  // digits and '_'), what it measures, and how to read it. `read` runs on whichever worker serves
  // the scrape, so it must be thread-safe and cheap: an atomic, or a figure a periodic job keeps
  // (never a store scan). It should read state from ctx.shared(), not the instance: every
  // worker's instance registers it and the last one wins (after a reload, the new code's).
  virtual void add_gauge(std::string_view name, std::string_view help,
                         std::function<double()> read) = 0;

  // Runs `fn` on this instance's worker every `period` (whole seconds, on the worker's tick), for
  // as long as the module runs: expiry, clean-up, anything periodic. Never blocks the loop.
  virtual void every(std::chrono::seconds period, std::function<void()> fn) = 0;
  // The same, but on one instance of the module in the whole server (every worker's instance
  // calls it; one runs `fn`): a sweeper of a store everyone shares. If that instance stops
  // (a reload replaced the modules), another takes the job over within half a minute.
  virtual void every_on_one_worker(std::string_view key, std::chrono::seconds period,
                                   std::function<void()> fn) = 0;

  // Runs `task` on this instance's worker at a later turn of its loop. Thread-safe: how work
  // started elsewhere (a delivery receipt, on the recipient's worker) comes back to the module's
  // thread, and how a long job yields to the loop between slices. Dropped once the server stops.
  virtual void post(std::function<void()> task) = 0;

  // Runs `task` on this instance's worker once, `delay` from now (a retry's backoff). Dropped
  // once the server stops. (Periodic work: every().)
  virtual void after(std::chrono::milliseconds delay, std::function<void()> task) = 0;

  // Blocking work (file I/O, fsync) off the event loop: `job` runs on a thread of libuv's pool,
  // then `done` on this instance's worker. `job` must touch nothing the worker touches meanwhile;
  // hand results over through what both lambdas capture. Dropped (neither runs) once stopped.
  virtual void offload(std::function<void()> job, std::function<void()> done) = 0;

  // The HTTP service (tern/http.h, docs/http.md). A route of this host, registered in start().
  virtual void on_http(HttpRoute route) = 0;
  // The public URL of `path` ("/upload/…") on this host's HTTP service: [http] public_url, or
  // the scheme, host and port of the first listener ("https://example.org:5281/upload/…").
  // Valid once the server has started (in handlers, not in start()).
  virtual std::string http_url(std::string_view path) const = 0;
  // A directory for this module's files (<storage_path>/files/NAME), created on first call;
  // every host and worker gets the same one.
  virtual std::string data_directory() = 0;
  // An outgoing HTTP request (tern/http.h: HttpClientRequest): `done` runs once, on this
  // instance's worker, with the response or why there is none. For push services and gateways.
  virtual void http_request(HttpClientRequest request, HttpClientDone done) = 0;

  // Services: what one module offers others, an interface in modules/services/NAME_service.h
  // (the roster's: roster_service.h). The provider publishes it in start(); a module
  // that names the provider in its TERN_MODULE takes it in its own start() and keeps the
  // pointer (the server starts providers first and stops them last). Provider and user are
  // instances of the same host on the same worker: calls need no locks.
  //   ctx.provide<roster::RosterService>(*this);               // in the roster module
  //   roster_ = ctx.service<roster::RosterService>("roster");  // TERN_MODULE(…, "roster")
  template <typename T>
  void provide(T& service) {
    provide_service(typeid(T), &service);
  }
  // Null only for a module named as optional ("roster?") that is not enabled.
  template <typename T>
  T* service(std::string_view module) {
    return static_cast<T*>(find_service(module, typeid(T)));
  }
  // What provide() and service() use. find_service throws std::logic_error for a module the
  // caller did not name in TERN_MODULE, and ModuleStartError for one enabled that provides no
  // `type`.
  virtual void provide_service(const std::type_info& type, void* service) = 0;
  virtual void* find_service(std::string_view module, const std::type_info& type) = 0;

  // This module's logger (component: the module's name), for the module to keep; called outside
  // start() it is the "modules" component's. Thread-safe, never blocks:
  //   log_ = ctx.log();
  //   log_.info("account.registered", "account created", {{"jid", jid.bare_view()}});
  virtual log::Logger log() const = 0;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual void start(ModuleContext& ctx) = 0;
  virtual void stop() {}
};

// What the module list (modules/builtin_modules.cpp) holds for each module.
struct ModuleInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<Module> (*create)();
  // The modules whose services it uses: "roster" must be enabled with it (the server refuses to
  // start otherwise, naming both); "roster?" is used when enabled.
  std::vector<std::string_view> uses = {};
};

}  // namespace tern

// Defines the module's ModuleInfo as tern::modules::module_info_<id>(), which
// modules/builtin_modules.cpp lists. `id` is the module's name as written in [modules] enabled;
// what follows the summary names the modules it uses (see ModuleInfo::uses):
//   TERN_MODULE(Presence, presence, "RFC 6121 presence", "roster")
#define TERN_MODULE(Class, id, Summary, ...)                                           \
  namespace tern::modules {                                                            \
  const ::tern::ModuleInfo& module_info_##id() {                                       \
    static const ::tern::ModuleInfo info{                                              \
        #id,                                                                           \
        Summary,                                                                       \
        []() -> std::unique_ptr<::tern::Module> { return std::make_unique<Class>(); }, \
        {__VA_ARGS__}};                                                                \
    return info;                                                                       \
  }                                                                                    \
  }

// Modules built outside ternd (docs/module-guide.md "Modules outside the tree"): a shared object
// that ternd loads at start ([modules] load) and can replace while it runs (`ternctl module
// reload NAME`). It is built against the installed SDK (pkg-config tern-module) and must match
// the API version of the ternd that loads it: ternd refuses another version, naming both. The
// version changes with every change to these headers that changes what a module compiles to.
#ifndef TERN_MODULE_API_VERSION
#define TERN_MODULE_API_VERSION 1
#endif

//   TERN_SHARED_MODULE(Hello, hello, "says hello")
#define TERN_SHARED_MODULE(Class, id, Summary, ...)                                                \
  extern "C" __attribute__((visibility("default"))) const unsigned tern_module_api_version =       \
      TERN_MODULE_API_VERSION;                                                                     \
  extern "C" __attribute__((visibility("default"))) const ::tern::ModuleInfo* tern_module_info() { \
    static const ::tern::ModuleInfo info{                                                          \
        #id,                                                                                       \
        Summary,                                                                                   \
        []() -> std::unique_ptr<::tern::Module> { return std::make_unique<Class>(); },             \
        {__VA_ARGS__}};                                                                            \
    return &info;                                                                                  \
  }
