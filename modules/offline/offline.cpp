// SPDX-License-Identifier: MIT
// XEP-0160 offline messages. A message for an account with no resource that can take it
// (RFC 6121 §8.5.2.2.1) is committed to the account's queue in the store (storage/
// offline_store), marked with a XEP-0359 <stanza-id/> so that clients can recognise a
// retransmission; it is delivered, oldest first and with a XEP-0203 <delay/> stamp, when the
// account next sends available presence with a non-negative priority, and deleted from the queue
// only once that session has it: acknowledged (XEP-0198), or written to its socket without stream
// management. A session that ends before that leaves the message queued for the next one
// (at-least-once; the stanza-id makes a repeat harmless). Messages for online recipients from
// senders that wait for a XEP-0198 ack are queued too, while they are delivered (write_ahead):
// the server's ack then always means "committed".
//
// What is stored: chat and normal messages that carry a body, a XEP-0184 receipt, a XEP-0333
// marker, or the XEP-0334 <store/> hint, unless they carry <no-store/> or <no-permanent-store/>.
// Other chat or normal messages (a bare chat state, say) and headlines are dropped quietly, as
// RFC 6121 allows; groupchat and errors are left to the router (bounced, or dropped for errors).
// Over the per-account quota ([modules.offline] max_messages) the sender gets
// resource-constraint: nothing is dropped silently.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "modules/offline/offline_store.h"
#include "modules/services/mam_service.h"
#include "tern/module_api.h"
#include "xmpp/datetime.h"
#include "xmpp/random_ids.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_id.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

using offline::OfflineMessage;
using offline::OfflineStore;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool has_child_ns(const xmpp::Element& e, std::string_view name, std::string_view ns) {
  return e.child(name, ns) != nullptr;
}

// Whether a chat or normal message is worth keeping (see the file comment).
bool worth_storing(const xmpp::Element& message) {
  if (has_child_ns(message, "no-store", xmpp::ns::kHints) ||
      has_child_ns(message, "no-permanent-store", xmpp::ns::kHints)) {
    return false;
  }
  if (message.child("body", xmpp::ns::kClient) != nullptr ||
      has_child_ns(message, "store", xmpp::ns::kHints) ||
      has_child_ns(message, "received", xmpp::ns::kReceipts)) {
    return true;
  }
  for (const char* marker : {"received", "displayed", "acknowledged"}) {
    if (has_child_ns(message, marker, xmpp::ns::kChatMarkers)) {
      return true;
    }
  }
  return false;
}

constexpr std::size_t kDefaultMaxPendingRemovals = 100000;

// A queued message: its number in the account's queue and when it was queued.
struct QueuedAt {
  std::uint64_t sequence = 0;
  std::int64_t stamp_ms = 0;
};

// Removals from the queue that failed (a full store): each is submitted again whenever an offline
// write commits (there is room again), and until then the message is not delivered again.
// Shared by the module's instances on every worker (ModuleContext::shared); in memory only (after
// a restart such a message is delivered again, with the same stanza-id: docs/delivery.md).
class PendingRemovals {
 public:
  // [modules.offline] max_pending_removals (every worker's instance sets the same).
  void set_limit(std::size_t limit) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
  }
  // False when the set is full and the removal is forgotten.
  bool add(const std::string& owner, QueuedAt at) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= limit_) {
      return false;
    }
    entries_.emplace(owner, at.sequence, at.stamp_ms);
    return true;
  }
  bool contains(const std::string& owner, QueuedAt at) const {
    std::lock_guard lock(mutex_);
    return !entries_.empty() && entries_.contains({owner, at.sequence, at.stamp_ms});
  }
  bool empty() const {
    std::lock_guard lock(mutex_);
    return entries_.empty();
  }
  // The account was deleted: its queue is gone, and a new one counts from 1 again, so a removal
  // kept for the old queue must never run against the new.
  void forget(std::string_view owner) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) { return std::get<0>(entry) == owner; });
  }
  std::vector<std::pair<std::string, QueuedAt>> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, QueuedAt>> all;
    all.reserve(entries_.size());
    for (const auto& [owner, sequence, stamp_ms] : entries_) {
      all.emplace_back(owner, QueuedAt{sequence, stamp_ms});
    }
    entries_.clear();
    return all;
  }

 private:
  // Bounded: past it a removal that failed is forgotten (logged; the message is then delivered
  // once more, with its stanza-id, at the account's next login). Only a store that stays full
  // while that many messages are delivered gets there.
  std::size_t limit_ = kDefaultMaxPendingRemovals;
  mutable std::mutex mutex_;
  // (owner, sequence, when it was queued): the time tells a message from a later one under the
  // same number (the account deleted behind the module's back, by ternctl, and made again).
  std::set<std::tuple<std::string, std::uint64_t, std::int64_t>> entries_;
};

// Removes a delivered message from its queue, only if it is the message queued at that time (an
// acknowledgement can come minutes later, a retry much later: the account may have been deleted
// by ternctl meanwhile and made again, its new queue counting from 1). A removal that fails waits
// in PendingRemovals.
void remove_from_queue(ModuleContext& ctx, const log::Logger& log, OfflineStore queue,
                       std::shared_ptr<PendingRemovals> removals, const std::string& owner,
                       QueuedAt at) {
  ctx.write(
      [owner, at, queue](WriteTxn& txn) -> Result<void, StoreError> {
        auto removed = queue.remove(txn, owner, at.sequence, at.stamp_ms);
        return removed ? Result<void, StoreError>{} : Err(removed.error());
      },
      [log, owner, at, removals = std::move(removals)](StoreStatus status) {
        if (status) {
          return;
        }
        bool kept = removals->add(owner, at);
        log.warn("store.remove_failed",
                 kept ? "removing a delivered message from its queue failed: retried once a "
                        "write commits"
                      : "removing a delivered message from its queue failed, and too many wait "
                        "already: it will be delivered again",
                 {{"owner", owner}, {"sequence", at.sequence}, {"kept", kept}});
      });
}

// One message in an account's queue, seen from the deliveries of its copies: it is removed
// once a copy was delivered, which may happen before or after its own commit (a live delivery
// goes out at once, the write commits a moment later). Shared across workers: locked.
//
// When the commit of a message written ahead for a live delivery fails (a full disk), the
// message is not safe in the queue, so the sender's XEP-0198 ack may not rely on it: the ack waits
// for the live delivery instead, and if no copy is delivered the sender gets an error (and only
// then the ack). An acknowledged message is delivered or answered, never lost.
class QueuedMessage {
 public:
  QueuedMessage(ModuleContext& ctx, log::Logger log, OfflineStore queue,
                std::shared_ptr<PendingRemovals> removals, std::string owner)
      : ctx_(ctx),
        log_(log),
        queue_(queue),
        removals_(std::move(removals)),
        owner_(std::move(owner)) {}

  void committed(QueuedAt at) {
    std::lock_guard lock(mutex_);
    queued_at_ = at;
    remove_if_done();
  }
  // The write-ahead commit failed: `ack` (the sender's XEP-0198 hold) is kept until a copy is
  // delivered; if none is, `bounce` runs (on the module's worker, with the ack released after it).
  void not_committed(std::shared_ptr<void> ack, std::function<void()> bounce) {
    std::unique_lock lock(mutex_);
    if (delivered_) {
      return;  // the recipient has it: the ack may go
    }
    if (undelivered_) {
      lock.unlock();
      return bounce_later(std::move(bounce), std::move(ack));
    }
    held_ack_ = std::move(ack);
    bounce_ = std::move(bounce);
  }
  void delivered() {
    std::shared_ptr<void> ack;
    {
      std::lock_guard lock(mutex_);
      delivered_ = true;
      ack = std::move(held_ack_);  // released outside the lock
      bounce_ = nullptr;
      remove_if_done();
    }
  }
  // Every copy is gone and none was delivered.
  void undelivered() {
    std::function<void()> bounce;
    std::shared_ptr<void> ack;
    {
      std::lock_guard lock(mutex_);
      if (delivered_) {
        return;
      }
      undelivered_ = true;
      bounce = std::move(bounce_);
      ack = std::move(held_ack_);
    }
    if (bounce) {
      bounce_later(std::move(bounce), std::move(ack));
    }
  }
  // A receipt for the stanza's copies (see xmpp::DeliveryReceipt); it keeps `also` alive as long
  // as it exists.
  static std::shared_ptr<xmpp::DeliveryReceipt> receipt_for(const std::shared_ptr<QueuedMessage>& m,
                                                            std::shared_ptr<void> also = nullptr) {
    return std::make_shared<xmpp::DeliveryReceipt>([m, also = std::move(also)](bool delivered) {
      if (delivered) {
        m->delivered();
      } else {
        m->undelivered();  // queued: it waits for the account's next session
      }
    });
  }

 private:
  void remove_if_done() {
    if (!delivered_ || !queued_at_ || removed_) {
      return;
    }
    removed_ = true;
    // The writer is thread-safe: this may run on the recipient's worker.
    remove_from_queue(ctx_, log_, queue_, removals_, owner_, *queued_at_);
  }

  // Receipts fire on any worker: the error is routed on the module's, then the ack goes (the
  // sender's session sees the error before the h that counts the message).
  void bounce_later(std::function<void()> bounce, std::shared_ptr<void> ack) {
    ctx_.post([bounce = std::move(bounce), ack = std::move(ack)] { bounce(); });
  }

  ModuleContext& ctx_;
  log::Logger log_;
  OfflineStore queue_;
  std::shared_ptr<PendingRemovals> removals_;
  std::string owner_;
  std::mutex mutex_;
  std::optional<QueuedAt> queued_at_;
  bool delivered_ = false;
  bool undelivered_ = false;
  bool removed_ = false;
  std::shared_ptr<void> held_ack_;
  std::function<void()> bounce_;
};

// How far each available session has been sent its account's queue (the highest sequence), so
// that the delivery its initial presence starts and those started by commits finishing around the
// same moment send every message once. The queue's sequences grow in commit order (one writer),
// so "above the mark" is exactly "not sent to this session yet". The queue goes out in slices;
// while one is on its way, nothing else is sent (the next slice carries what arrived meanwhile).
// Shared by the module's instances on every worker (ModuleContext::shared); an entry lives while
// its session is available.
class SentMarks {
 public:
  struct Mark {
    std::uint64_t sent = 0;   // the highest sequence sent to the session
    std::uint64_t until = 0;  // the highest sequence it is due (see Offline::deliver_queue)
    std::uint64_t slice = 0;  // the slice on its way, by number; 0: none
  };
  // Runs `send(mark)` under the lock with the session's mark, which it updates. Without
  // `start`, only for a session whose delivery has started (it has a mark): see
  // Offline::deliver_queue.
  template <class Send>
  void advance(std::string_view full_jid, bool start, Send send) {
    std::lock_guard lock(mutex_);
    auto entry = marks_.find(std::string(full_jid));
    if (entry == marks_.end()) {
      if (!start) {
        return;
      }
      entry = marks_.try_emplace(std::string(full_jid)).first;
    }
    send(entry->second);
  }
  // A number for a new slice (under advance()'s lock).
  std::uint64_t next_slice() { return ++last_slice_; }
  // Every message of `slice` has reported back: true if it is still the session's slice on its
  // way, which it then no longer is (a session that re-announced itself started over).
  bool finish_slice(std::string_view full_jid, std::uint64_t slice) {
    std::lock_guard lock(mutex_);
    auto it = marks_.find(std::string(full_jid));
    if (it == marks_.end() || it->second.slice != slice) {
      return false;
    }
    it->second.slice = 0;
    return true;
  }
  // The session ended or re-announced itself: whatever was not acknowledged is sent again.
  void forget(std::string_view full_jid) {
    std::lock_guard lock(mutex_);
    marks_.erase(std::string(full_jid));
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Mark> marks_;
  std::uint64_t last_slice_ = 0;
};

// The queues' figures for /metrics (tern_offline_*), counted every count_interval off the loop
// by one worker's instance at a time; shared, so they outlive a reload.
struct QueueFigures {
  std::atomic<std::uint64_t> accounts{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> largest{0};
  // When a count last started (steady clock, s): another waits for it unless it is long gone.
  std::atomic<std::int64_t> started_s{INT64_MIN / 2};
};

// The module instance as a slice's messages see it: valid while the instance lives (workers are
// joined before modules are destroyed, so nothing races with the reset).
struct Lifeline {
  ModuleContext* ctx;
  std::function<void(const std::string& owner, const xmpp::Jid& resource, std::uint64_t slice)>
      slice_done;
};

// Held by the receipts of one slice's messages: when the last of them is gone (each message
// acknowledged, written, or given up on), the instance sends the next slice, on its own worker.
class SliceInFlight {
 public:
  SliceInFlight(std::weak_ptr<Lifeline> lifeline, std::string owner, xmpp::Jid resource,
                std::uint64_t slice)
      : lifeline_(std::move(lifeline)),
        owner_(std::move(owner)),
        resource_(std::move(resource)),
        slice_(slice) {}
  SliceInFlight(const SliceInFlight&) = delete;
  SliceInFlight& operator=(const SliceInFlight&) = delete;
  ~SliceInFlight() {
    if (auto lifeline = lifeline_.lock()) {
      lifeline->ctx->post([lifeline = lifeline_, owner = std::move(owner_),
                           resource = std::move(resource_), slice = slice_] {
        if (auto alive = lifeline.lock()) {
          alive->slice_done(owner, resource, slice);
        }
      });
    }
  }

 private:
  std::weak_ptr<Lifeline> lifeline_;
  std::string owner_;
  xmpp::Jid resource_;
  std::uint64_t slice_;
};

class Offline final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    queue_ = OfflineStore(ctx.open_store("offline"));
    marks_ = ctx.shared<SentMarks>("sent_marks");
    removals_ = ctx.shared<PendingRemovals>("pending_removals");
    log_ = ctx.log();
    lifeline_ = std::make_shared<Lifeline>(Lifeline{
        &ctx, [this](const std::string& owner, const xmpp::Jid& resource, std::uint64_t slice) {
          if (marks_->finish_slice(resource.full(), slice)) {
            deliver_if_eligible(owner, resource, kNothingNew);
          }
        }});
    // [modules.offline] max_messages: the most messages one account's queue may hold.
    quota_ = static_cast<std::size_t>(ctx.options().integer("max_messages", 10000, 1, 1000000));
    // [modules.offline] max_pending_removals: failed removals kept for a retry (PendingRemovals).
    removals_->set_limit(static_cast<std::size_t>(
        ctx.options().integer("max_pending_removals", kDefaultMaxPendingRemovals, 1, 10000000)));
    archive_ = ctx.service<mam::ArchiveService>("mam");  // null without archives
    // [modules.offline] count_interval: seconds between two counts of the queues (/metrics).
    count_interval_ = ctx.options().integer("count_interval", 30, 1, 86400);
    figures_ = ctx.shared<QueueFigures>("figures");
    ctx.add_gauge("tern_offline_accounts", "Accounts with messages in their offline queue.",
                  [f = figures_] { return static_cast<double>(f->accounts.load()); });
    ctx.add_gauge("tern_offline_messages", "Messages waiting in offline queues, all accounts.",
                  [f = figures_] { return static_cast<double>(f->messages.load()); });
    ctx.add_gauge("tern_offline_largest_queue_messages",
                  "The most messages waiting in one account's offline queue.",
                  [f = figures_] { return static_cast<double>(f->largest.load()); });
    ctx.every(std::chrono::seconds(count_interval_), [this] { count_queues(); });
    ctx.add_disco_feature("msgoffline");  // XEP-0160 §4
    ctx.add_disco_feature(xmpp::ns::kStanzaId);
    // XEP-0359 §4: the entity named in by= (the account) announces the feature.
    ctx.add_account_disco_feature(xmpp::ns::kStanzaId);
    ctx.on_outbound(xmpp::StanzaKind::Message, HookStage::Rewrite, [this](xmpp::StanzaPtr& stanza) {
      strip_forgeries(stanza->root());
      return Verdict::Continue;
    });
    // After blocking (Refuse): a message it stops is never written ahead nor stored.
    ctx.on_inbound(xmpp::StanzaKind::Message, HookStage::Observe,
                   [this](xmpp::StanzaPtr& stanza) { return write_ahead(stanza); });
    ctx.on_account_deleted(HookStage::Observe, [this](const AccountDeleted& deleted) {
      removals_->forget(deleted.bare_jid);
    });
    ctx.on_undeliverable_message(HookStage::Handle,
                                 [this](xmpp::StanzaPtr& stanza) { return store(stanza); });
    ctx.on_presence_broadcast(HookStage::Observe, [this](const PresenceBroadcast& b) {
      if (b.change == PresenceChange::Initial) {
        marks_->forget(b.from.full());
        deliver_if_eligible(std::string(b.from.bare_view()), b.from, kEverythingQueuedNow);
      } else if (b.change == PresenceChange::Unavailable) {
        marks_->forget(b.from.full());
      }
    });
  }

 private:
  // Chat and normal messages worth keeping (see the file comment).
  static bool storable(const xmpp::Stanza& stanza) {
    std::string_view type = stanza.type();
    return (type.empty() || type == "chat" || type == "normal") && worth_storing(stanza.root());
  }

  // Durability for online recipients. A message whose sender waits for a XEP-0198 ack is
  // committed to the recipient's queue before that ack, while it is delivered at once; the
  // first copy the recipient acknowledges (or that is written to a socket without stream
  // management) removes it again. After a crash, what was acknowledged but never reached the
  // recipient is still queued.
  Verdict write_ahead(xmpp::StanzaPtr& stanza) {
    if (stanza->receipt() || !storable(*stanza)) {
      return Verdict::Continue;  // already queued, or not worth keeping
    }
    const xmpp::Jid* to = stanza->to_jid();
    if (!to || !ctx_->account_exists(to->bare_view()) || !deliverable_now(*to)) {
      return Verdict::Continue;  // the undeliverable-message hook stores it instead
    }
    std::shared_ptr<void> ack = ctx_->hold_ack();
    if (!ack) {
      return Verdict::Continue;  // nobody waits for an ack: no write needed
    }
    std::string owner(to->bare_view());
    xmpp::ensure_stanza_id(stanza->root(), owner);  // the archive's, if it stamped one first
    auto queued = std::make_shared<QueuedMessage>(*ctx_, log_, queue_, removals_, owner);
    stanza->set_receipt(QueuedMessage::receipt_for(queued));
    // For the error, should it come to that; without the receipt, which would keep itself alive
    // through it (receipt → QueuedMessage → bounce → this copy → receipt) and never fire.
    std::shared_ptr<xmpp::Stanza> original(stanza->clone().release());
    original->set_receipt(nullptr);
    push(owner, *stanza, ack,
         [this, queued, ack, original, owner](std::optional<QueuedAt> at, StoreStatus status) {
           if (at) {
             return queued->committed(*at);
           }
           if (status) {
             return;  // over quota: delivered live only, like any message without SM
           }
           // Not stored: the sender's ack now waits for the live delivery (QueuedMessage).
           queued->not_committed(
               ack, [this, original, status, owner] { refuse(*original, status, owner); });
         });
    return Verdict::Continue;  // delivered now, by the router
  }

  // Whether the router will hand a message for `to` to a session now (RFC 6121 §8.5).
  bool deliverable_now(const xmpp::Jid& to) const {
    for (const ResourceInfo& r : ctx_->resources(to.bare_view())) {
      if (to.has_resource() ? r.jid.full() == to.full() : (r.available && r.priority >= 0)) {
        return true;
      }
    }
    // A full JID that is gone falls back to the bare JID (§8.5.3.2.1).
    return to.has_resource() && deliverable_now(to.bare());
  }

  Verdict store(xmpp::StanzaPtr& stanza) {
    std::string_view type = stanza->type();
    if (type == "groupchat" || type == "error") {
      return Verdict::Continue;
    }
    if (stanza->receipt()) {
      return Verdict::Handled;  // a copy of a message the queue holds already (write-ahead)
    }
    if (!storable(*stanza)) {
      return Verdict::Handled;  // RFC 6121 §8.5.2.2.1: may be silently ignored
    }
    const xmpp::Jid* to = stanza->to_jid();
    if (!to) {
      return Verdict::Continue;
    }
    std::string owner(to->bare_view());
    if (ctx_->store_short_of_room()) {
      // Refused before it costs a failing write; the sender hears why (docs/delivery.md).
      refuse(*stanza, StoreStatus{.committed = false, .out_of_space = true}, owner);
      return Verdict::Handled;
    }
    // A message this server delivered before (from the queue, then never acknowledged) keeps its
    // stanza-id and delay, so that the client recognises it, and so does one the archive stamped
    // (mam): both name the message the same way. strip_forgeries removed any a client wrote.
    xmpp::ensure_stanza_id(stanza->root(), owner);
    std::shared_ptr<xmpp::Stanza> original(stanza.release());
    // XEP-0198: the sender hears the message is safe only once it is committed.
    push(owner, *original, ctx_->hold_ack(),
         [this, owner, original](std::optional<QueuedAt> at, StoreStatus status) {
           if (!at) {
             return refuse(*original, status, owner);  // the sender hears of it (XEP-0160 §3)
           }
           // The account may have come online while the write was committing.
           if (auto resource = best_resource(owner)) {
             deliver_queue(owner, *resource, at->sequence);
           }
         });
    return Verdict::Handled;
  }

  // Counts the queues on libuv's pool (a seek per account: OfflineStore::figures), unless another
  // worker's instance is counting.
  void count_queues() {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t started = figures_->started_s.load();
    if (now - started < count_interval_ ||
        !figures_->started_s.compare_exchange_strong(started, now)) {
      return;
    }
    auto counted = std::make_shared<std::optional<OfflineStore::Figures>>();
    ctx_->offload(
        [ctx = ctx_, queue = queue_, counted] {
          OfflineStore::Figures figures;
          std::string from;
          do {  // slices of 1,000 accounts, a short read transaction each
            auto txn = ctx->read();
            if (!txn) {
              return;
            }
            from = queue.add_figures(*txn, std::move(from), 1000, figures);
          } while (!from.empty());
          *counted = figures;
        },
        [figures = figures_, counted] {
          if (*counted) {
            figures->accounts = (*counted)->accounts;
            figures->messages = (*counted)->messages;
            figures->largest = (*counted)->largest;
          }
        });
  }

  // Removals that failed on a full store, submitted again.
  void retry_removals() {
    if (removals_->empty()) {
      return;
    }
    auto pending = removals_->take_all();
    log_.info("store.retry", "retrying removals from offline queues that failed",
              {{"count", pending.size()}});
    for (const auto& [owner, at] : pending) {
      remove_from_queue(*ctx_, log_, queue_, removals_, owner, at);
    }
  }

  // A message the queue could not take goes back to its sender as an error: over the account's
  // quota, or the store is full (resource-constraint), or the store failed otherwise
  // (internal-server-error). `status` is the write's (committed: over quota).
  void refuse(const xmpp::Stanza& message, StoreStatus status, const std::string& owner) {
    xmpp::StanzaError error =
        status ? xmpp::StanzaError::resource_constraint("the recipient's offline storage is full")
        : status.out_of_space
            ? xmpp::StanzaError::resource_constraint("the server's storage is full")
            : xmpp::StanzaError::internal_server_error("the server could not store the message");
    log_.warn(status ? "limit.refused" : "store.refused",
              status ? "message not queued: offline quota" : "message not queued: store failed",
              {{"owner", owner},
               {"from", message.from()},
               {"max_messages", quota_},
               {"condition",
                status || status.out_of_space ? "resource-constraint" : "internal-server-error"}});
    if (archive_ != nullptr) {  // the sync archive hid it for the queue: it goes too
      if (const xmpp::Element* id = xmpp::stanza_id_by(message.root(), owner)) {
        archive_->not_queued(owner, id->attr("id"));
      }
    }
    if (auto reply = xmpp::make_error_reply(message.root(), error)) {
      ctx_->route(std::move(reply));
    }
  }

  // Commits `message` to `owner`'s queue; `done` gets its sequence number and stamp (nullopt:
  // over quota, or not written: see the status) on this worker. `ack` is released after that.
  void push(const std::string& owner, const xmpp::Stanza& message, std::shared_ptr<void> ack,
            std::function<void(std::optional<QueuedAt>, StoreStatus)> done) {
    auto sequence = std::make_shared<std::optional<std::uint64_t>>();
    const std::int64_t stamp = now_ms();
    ctx_->write(
        [owner, xml = xmpp::to_xml(message.root()), stamp, quota = quota_, sequence,
         queue = queue_](WriteTxn& txn) -> Result<void, StoreError> {
          auto pushed = queue.push(txn, owner, stamp, xml, quota);
          if (!pushed) {
            return Err(pushed.error());
          }
          *sequence = *pushed;
          return {};
        },
        [this, sequence, stamp, ack = std::move(ack), done = std::move(done)](StoreStatus status) {
          if (status) {
            retry_removals();  // a commit went through: there is room for them again
          }
          std::optional<QueuedAt> at;
          if (status && *sequence) {
            at = QueuedAt{**sequence, stamp};
          }
          done(at, status);
        });
  }

  // An available resource with non-negative priority (RFC 6121 §8.5.2.1.1), the highest.
  std::optional<xmpp::Jid> best_resource(const std::string& owner) const {
    std::optional<xmpp::Jid> best;
    int best_priority = -1;
    for (const ResourceInfo& r : ctx_->resources(owner)) {
      if (r.available && r.priority > best_priority) {
        best = r.jid;
        best_priority = r.priority;
      }
    }
    return best;
  }

  // What deliver_queue() is told the session is due: everything queued now (its initial
  // presence), one stored message (up to its sequence), or nothing new (the next slice).
  static constexpr std::uint64_t kEverythingQueuedNow = UINT64_MAX;
  static constexpr std::uint64_t kNothingNew = 0;

  void deliver_if_eligible(const std::string& owner, const xmpp::Jid& resource, std::uint64_t due) {
    for (const ResourceInfo& r : ctx_->resources(owner)) {
      if (r.jid.full() == resource.full() && r.available && r.priority >= 0) {
        return deliver_queue(owner, resource, due);
      }
    }
  }

  // Sends the queue to `resource`, oldest first, but for what that session was sent already;
  // each message leaves the queue once that session has it (acknowledged, or written to its
  // socket without stream management). It goes in slices (kSliceMessages, kSliceBytes): the next
  // once every message of the one before has reported back. A queue of thousands then neither
  // holds the worker for seconds nor floods a client faster than it acknowledges (which would end
  // its session at c2s.max_unacked_stanzas); other sessions are served between slices.
  //
  // Only messages the session is due are sent (up to the mark's `until`): those queued when it
  // announced itself and those stored for the account since. A message written ahead for a live
  // delivery (write_ahead) is in the queue too until acknowledged, but the session has it.
  //
  // Only its initial presence starts a session's delivery (creates its mark); a commit finishing
  // (one stored message due) only adds to a delivery that has started. The session is marked
  // available a moment before its initial presence reaches this module, possibly on another
  // worker: a commit's delivery in that moment would be sent again by the initial presence,
  // which starts over. Skipping it loses nothing: the commit came first, so the initial
  // presence's read (later, under the marks' lock) sees the message.
  void deliver_queue(const std::string& owner, const xmpp::Jid& resource, std::uint64_t due) {
    std::vector<OfflineMessage> slice;
    std::shared_ptr<SliceInFlight> in_flight;
    SentMarks& marks = *marks_;
    const bool start = due == kEverythingQueuedNow;
    marks.advance(resource.full(), start, [&](SentMarks::Mark& mark) {
      auto txn = ctx_->read();
      if (!txn) {
        return;
      }
      mark.until = std::max(mark.until,
                            due == kEverythingQueuedNow ? queue_.last_sequence(*txn, owner) : due);
      if (mark.slice != 0) {
        return;  // a slice is on its way; what is left follows it
      }
      slice = queue_.read(*txn, owner,
                          OfflineStore::Range{.after = mark.sent,
                                              .until = mark.until,
                                              .max_messages = kSliceMessages,
                                              .max_bytes = kSliceBytes});
      if (slice.empty()) {
        return;
      }
      mark.slice = marks.next_slice();
      mark.sent = slice.back().sequence;
      in_flight = std::make_shared<SliceInFlight>(lifeline_, owner, resource, mark.slice);
    });
    // Outside the lock: a delivery may end the session (c2s.max_unacked_stanzas), and its
    // unavailable presence comes back here to forget the mark.
    PendingRemovals& removals = *removals_;
    for (const OfflineMessage& m : slice) {
      if (!removals.contains(owner, QueuedAt{m.sequence, m.stamp_ms})) {  // its removal waits
        send_queued(owner, resource, m, in_flight);
      }
    }
  }

  void send_queued(const std::string& owner, const xmpp::Jid& resource, const OfflineMessage& m,
                   const std::shared_ptr<SliceInFlight>& slice) {
    xmpp::StanzaPtr stanza = xmpp::parse_stanza(m.xml);
    if (!stanza) {
      return;  // unreadable record: left for an operator to inspect
    }
    if (!delayed_by_us(stanza->root())) {
      stanza->root()
          .add_child("delay", xmpp::ns::kDelay)
          .set_attr("from", ctx_->host())
          .set_attr("stamp", xmpp::xep82_datetime(std::chrono::system_clock::time_point(
                                 std::chrono::milliseconds(m.stamp_ms))))
          .set_text("Offline Storage");
    }
    auto queued = std::make_shared<QueuedMessage>(*ctx_, log_, queue_, removals_, owner);
    queued->committed(QueuedAt{m.sequence, m.stamp_ms});
    std::shared_ptr<xmpp::DeliveryReceipt> receipt = QueuedMessage::receipt_for(queued, slice);
    if (archive_ != nullptr) {
      // The account's sync archive learns which device got it from the queue (docs/mam.md).
      const xmpp::Element* id = xmpp::stanza_id_by(stanza->root(), owner);
      auto tell_archive = [ctx = ctx_, archive = archive_, owner, device = resource,
                           stanza_id = std::string(id != nullptr ? id->attr("id") : "")] {
        ctx->post([archive, owner, device, stanza_id] {  // from the session's worker
          archive->delivered_from_queue(owner, device.resource(), stanza_id);
        });
      };
      receipt = std::make_shared<xmpp::DeliveryReceipt>(
          [receipt, tell_archive](bool delivered) {
            if (delivered) {
              receipt->delivered();
              tell_archive();
            }
          },
          receipt);
    }
    stanza->set_receipt(std::move(receipt));
    ctx_->send_to_session(resource, std::move(stanza));
  }

  // XEP-0359 §3.1: what a client sends must not carry ids that look like this server's, nor this
  // host's offline delay (which marks a message the queue already holds an id for).
  void strip_forgeries(xmpp::Element& message) const {
    std::vector<xmpp::Element*> forged;
    for (xmpp::Element& child : message.children()) {
      if (child.is("stanza-id", xmpp::ns::kStanzaId) ||
          (child.is("delay", xmpp::ns::kDelay) && child.attr("from") == ctx_->host())) {
        forged.push_back(&child);
      }
    }
    for (xmpp::Element* e : forged) {
      message.remove_child(e);
    }
  }

  // Whether the message carries this host's XEP-0203 delay and a stanza-id: it came from this
  // queue before (clients cannot send those: strip_forgeries).
  bool delayed_by_us(const xmpp::Element& message) const {
    const xmpp::Element* delay = message.child("delay", xmpp::ns::kDelay);
    return delay != nullptr && delay->attr("from") == ctx_->host() &&
           message.child("stanza-id", xmpp::ns::kStanzaId) != nullptr;
  }

  // Messages sent to a session at once, before waiting for them to report back: at most this
  // many, and no more once this many bytes went (at least one message).
  static constexpr std::size_t kSliceMessages = 100;
  static constexpr std::size_t kSliceBytes = std::size_t{256} * 1024;

  ModuleContext* ctx_ = nullptr;
  OfflineStore queue_{StoreId{}};     // opened in start()
  std::shared_ptr<SentMarks> marks_;  // shared by every worker's instance (ctx.shared)
  std::shared_ptr<PendingRemovals> removals_;
  log::Logger log_;
  std::size_t quota_ = 10000;
  std::shared_ptr<Lifeline> lifeline_;  // released with the instance: later slices are dropped
  std::shared_ptr<QueueFigures> figures_;
  std::int64_t count_interval_ = 30;
  mam::ArchiveService* archive_ = nullptr;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Offline, offline, "XEP-0160 offline messages, deleted once delivered", "mam?")
