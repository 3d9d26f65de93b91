// SPDX-License-Identifier: MIT
// XEP-0313 message archives, one query engine (query.h) over one store layout (archive_store.h)
// for two uses (docs/mam.md):
//   - rooms: the MUC service keeps each room's messages here (ArchiveService), bounded by
//     room_max_messages and room_max_age, and hands over the room's queries;
//   - accounts: a sync archive, not a history. A 1:1 message is kept only until every device of
//     the account seen within device_window has it — acknowledged live (the router's
//     per-resource acknowledgement), delivered from the offline queue, or fetched through MAM —
//     and never longer than max_age. A device sees through MAM only what it has not got, and
//     nothing the offline queue will still deliver, so no device gets a message twice.
// Devices are resources (a client keeps its resource across logins); each account has at most
// 32 slots, the longest unseen device giving its slot up.
#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include "modules/mam/archive_store.h"
#include "modules/mam/eligibility.h"
#include "modules/mam/query.h"
#include "modules/services/mam_service.h"
#include "tern/module_api.h"
#include "xmpp/namespaces.h"
#include "xmpp/random_ids.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_id.h"
#include "xmpp/stream_parser.h"

namespace tern::modules {
namespace {

using mam::ArchiveKind;
using mam::ArchiveStores;
using mam::Clock;
using mam::Entry;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string xml_of(const xmpp::Element& message) {
  std::string xml;
  xmpp::Serializer().write(xml, message);
  return xml;
}

class Mam final : public Module, public mam::ArchiveService {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    ModuleOptions& o = ctx.options();
    sync_archive_ = o.boolean("sync_archive", true);
    device_window_ = std::chrono::seconds(
        o.integer("device_window", std::int64_t{30} * 86400, 1, std::int64_t{3650} * 86400));
    account_.max_age = std::chrono::seconds(
        o.integer("max_age", std::int64_t{7} * 86400, 1, std::int64_t{3650} * 86400));
    account_.max_messages = o.integer("max_messages", 10000, 1, 10000000);
    room_.max_age = std::chrono::seconds(
        o.integer("room_max_age", std::int64_t{7} * 86400, 0, std::int64_t{3650} * 86400));
    room_.max_messages = o.integer("room_max_messages", 10000, 0, 10000000);
    pages_.default_max = static_cast<std::size_t>(o.integer("page_size", 50, 1, 1000));
    pages_.max = static_cast<std::size_t>(
        o.integer("max_page_size", 250, static_cast<std::int64_t>(pages_.default_max), 10000));
    auto sweep_every = std::chrono::seconds(o.integer("sweep_interval", 60, 1, 86400));
    StoreId expiry = ctx.open_store("archive_expiry", StoreScope::Global);
    accounts_ = ArchiveStores{ctx.open_store("archive"), expiry, ArchiveKind::Account};
    rooms_ =
        ArchiveStores{ctx.open_store("muc_archive", StoreScope::Global), expiry, ArchiveKind::Room};
    ctx.provide<mam::ArchiveService>(*this);
    ctx.every(sweep_every, [this] { sweep(); });
    if (!sync_archive_) {
      return;
    }
    ctx.add_account_disco_feature(xmpp::ns::kMam);
    ctx.add_account_disco_feature(xmpp::ns::kMamExtended);
    ctx.on_iq(IqType::Set, {xmpp::ns::kMam, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { query_account(req); });
    ctx.on_iq(IqType::Get, {xmpp::ns::kMam, "query"}, Addressed::ToAccount, [](IqRequest& req) {
      if (!req.to_own_account()) {
        return req.reply_error(xmpp::StanzaError::forbidden());
      }
      mam::write_form(req.reply_result({xmpp::ns::kMam, "query"}));
    });
    ctx.on_iq(IqType::Get, {xmpp::ns::kMam, "prefs"}, Addressed::ToAccount,
              [](IqRequest& req) { prefs(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kMam, "prefs"}, Addressed::ToAccount,
              [](IqRequest& req) { prefs(req); });
    // Stamped before anyone stores or copies the message (offline's queue keeps the same id).
    ctx.on_inbound(xmpp::StanzaKind::Message, HookStage::Rewrite, [](xmpp::StanzaPtr& stanza) {
      const xmpp::Jid* to = stanza->to_jid();
      if (to != nullptr && mam::archivable(stanza->root())) {
        xmpp::ensure_stanza_id(stanza->root(), to->bare_view());
      }
      return Verdict::Continue;
    });
    ctx.on_message_delivered(HookStage::Observe,
                             [this](const MessageDelivered& d) { delivered_live(d); });
    ctx.on_undeliverable_message(HookStage::Observe, [this](xmpp::StanzaPtr& stanza) {
      archive_incoming(*stanza, /*queued=*/true);
      return Verdict::Continue;
    });
    ctx.on_outbound(xmpp::StanzaKind::Message, HookStage::Observe, [this](xmpp::StanzaPtr& s) {
      archive_sent(*s);
      return Verdict::Continue;
    });
    ctx.on_session_started(HookStage::Observe, [this](const SessionEvent& e) { seen(e.jid); });
  }

  // ArchiveService: rooms
  bool archives_rooms() const override {
    return room_.max_messages > 0 && room_.max_age.count() > 0;
  }
  void archive_room_message(std::string_view room, std::string_view stanza_id,
                            const xmpp::Stanza& message) override {
    if (!archives_rooms()) {
      return;
    }
    Entry entry{now_ms(),
                false,
                false,
                0,
                std::string(message.from()),
                std::string(stanza_id),
                xml_of(message.root())};
    // Lazily: the room has delivered it already and nobody waits on this commit, so it may
    // share a commit (and its sync) with the next room messages.
    ctx_->write_lazily(
        [this, owner = std::string(room),
         entry = std::move(entry)](WriteTxn& txn) -> Result<void, StoreError> {
          auto appended = mam::append(txn, rooms_, owner, entry, room_);
          return appended ? Result<void, StoreError>() : Err(appended.error());
        },
        [this](StoreStatus status) {
          if (!status) {
            log_.warn("archive.write_failed", "room message not archived");
          }
        });
  }
  void query_room(std::string_view room, const xmpp::Stanza& iq) override {
    const xmpp::Jid* asker = iq.from_jid();
    if (asker == nullptr) {
      return;
    }
    auto page = run(iq.root(), rooms_, std::string(room), [](const Entry&) { return true; });
    if (!page) {
      if (xmpp::StanzaPtr r = xmpp::make_error_reply(iq.root(), page.error())) {
        ctx_->send_to_session(*asker, std::move(r));
      }
      return;
    }
    for (xmpp::StanzaPtr& m : mam::write_results(room, *asker, page->first, page->second)) {
      ctx_->send_to_session(*asker, std::move(m));
    }
    xmpp::StanzaPtr result = xmpp::make_iq_result(iq.root());
    mam::write_fin(result->root(), page->second);
    ctx_->send_to_session(*asker, std::move(result));
  }
  std::vector<mam::ArchivedRoomMessage> recent_room_messages(std::string_view room,
                                                             std::size_t max) const override {
    std::vector<mam::ArchivedRoomMessage> recent;
    auto txn = ctx_->read();
    if (!txn || max == 0 || !archives_rooms()) {
      return recent;
    }
    mam::scan_down(
        *txn, rooms_, room, std::numeric_limits<std::uint64_t>::max(),
        [&recent, max](const mam::StoredEntry& stored) {
          if (xmpp::StanzaPtr message = xmpp::parse_stanza(stored.entry.xml)) {
            recent.push_back({std::shared_ptr<const xmpp::Stanza>(std::move(message)),
                              Clock::time_point(std::chrono::milliseconds(stored.entry.stamp_ms))});
          }
          return recent.size() < max;
        });
    std::reverse(recent.begin(), recent.end());
    return recent;
  }
  void forget_room(std::string_view room) override {
    write([this, owner = std::string(room)](
              WriteTxn& txn) { return mam::remove_all(txn, rooms_, owner); },
          "a destroyed room's archive was not deleted");
  }

  // ArchiveService: accounts
  void delivered_as_copy(std::string_view owner, std::string_view resource,
                         std::string_view stanza_id) override {
    if (!sync_archive_ || stanza_id.empty()) {
      return;
    }
    received(std::string(owner), std::string(resource), {std::string(stanza_id)}, false);
  }
  void not_queued(std::string_view owner, std::string_view stanza_id) override {
    if (!sync_archive_ || stanza_id.empty()) {
      return;
    }
    write(
        [this, owner = std::string(owner),
         id = std::string(stanza_id)](WriteTxn& txn) -> Result<void, StoreError> {
          auto seq = mam::find_id(txn, accounts_, owner, id);
          auto entry = seq ? mam::get(txn, accounts_, owner, *seq) : std::nullopt;
          if (!entry || !entry->queued) {
            return {};  // not kept, or not hidden for the queue
          }
          if (!entry->live) {
            return mam::remove(txn, accounts_, owner, *seq);  // nobody ever got it
          }
          // A copy that went live once and was routed again: the devices still waiting for it
          // see it in the archive now that the queue will not bring it.
          entry->queued = false;
          return mam::put(txn, accounts_, owner, *seq, *entry);
        },
        "archive not updated");
  }
  void delivered_from_queue(std::string_view owner, std::string_view resource,
                            std::string_view stanza_id) override {
    if (!sync_archive_ || stanza_id.empty()) {
      return;
    }
    received(std::string(owner), std::string(resource), {std::string(stanza_id)}, true);
  }

 private:
  // `hold`: the sender's XEP-0198 acknowledgement waits for the commit (ModuleContext::hold_ack),
  // so an acknowledged message is in the archive as surely as in the offline queue.
  void write(StoreWrite op, const char* failure, std::shared_ptr<void> hold = nullptr) {
    ctx_->write(std::move(op), [this, failure, hold = std::move(hold)](StoreStatus status) {
      if (!status) {
        log_.warn("archive.write_failed", failure);
      }
    });
  }

  // A message for one of the account's devices: kept for every recent device (the ones it went
  // to live learn it when they acknowledge it).
  void archive_incoming(const xmpp::Stanza& message, bool queued) {
    const xmpp::Jid* to = message.to_jid();
    const xmpp::Jid* from = message.from_jid();
    if (to == nullptr || from == nullptr || !mam::archivable(message.root())) {
      return;
    }
    const xmpp::Element* id = xmpp::stanza_id_by(message.root(), to->bare_view());
    if (id == nullptr) {
      return;
    }
    keep(std::string(to->bare_view()), std::string(from->bare_view()), std::string(id->attr("id")),
         message.root(), queued, {});
  }

  void delivered_live(const MessageDelivered& d) {
    const xmpp::Jid* to = d.message.to_jid();
    if (to == nullptr || d.acknowledged == nullptr || !mam::archivable(d.message.root()) ||
        !waits_beyond(std::string(to->bare_view()), d.resources)) {
      // Every recent device is getting it now: nothing to keep. (A copy that is never
      // acknowledged is routed again, to the offline queue, and kept then, for every device.)
      return;
    }
    archive_incoming(d.message, false);
    const xmpp::Element* id = xmpp::stanza_id_by(d.message.root(), to->bare_view());
    if (id == nullptr) {
      return;
    }
    d.acknowledged->push_back([ctx = ctx_, self = this, owner = std::string(to->bare_view()),
                               stanza_id = std::string(id->attr("id"))](const xmpp::Jid& resource) {
      ctx->post([self, owner, stanza_id, device = std::string(resource.resource())] {
        self->received(owner, device, {stanza_id}, false);
      });
    });
  }

  // Whether a device seen recently is not among `resources` (one read; no write when a message
  // reaches every device live, the common case).
  bool waits_beyond(const std::string& owner, const std::vector<xmpp::Jid>& resources) const {
    auto txn = ctx_->read();
    if (!txn) {
      return true;
    }
    auto window_start =
        now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(device_window_).count();
    for (const mam::Device& device : mam::devices(*txn, accounts_, owner)) {
      if (device.last_seen_ms < window_start) {
        continue;
      }
      bool reached = std::any_of(resources.begin(), resources.end(),
                                 [&](const xmpp::Jid& r) { return r.resource() == device.name; });
      if (!reached) {
        return true;
      }
    }
    return false;
  }

  // A message one of the account's devices sent: kept for its other devices.
  void archive_sent(const xmpp::Stanza& message) {
    const xmpp::Jid* from = message.from_jid();
    const xmpp::Jid* to = message.to_jid();
    if (from == nullptr || to == nullptr || !mam::archivable(message.root()) ||
        from->domain() != ctx_->host() || !waits_beyond(std::string(from->bare_view()), {*from})) {
      return;  // no other device to bring up to date
    }
    keep(std::string(from->bare_view()), std::string(to->bare_view()), xmpp::random_uuid(),
         message.root(), false, std::string(from->resource()));
  }

  // Appends (or, for a message routed again, updates) an entry waiting for the recent devices
  // but `except`.
  void keep(const std::string& owner, std::string with, std::string id,
            const xmpp::Element& message, bool queued, const std::string& except) {
    Entry entry{now_ms(), queued, !queued, 0, std::move(with), std::move(id), xml_of(message)};
    auto window_start =
        now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(device_window_).count();
    write(
        [this, owner, entry, except, window_start](WriteTxn& txn) -> Result<void, StoreError> {
          if (auto seq = mam::find_id(txn, accounts_, owner, entry.id)) {
            auto existing = mam::get(txn, accounts_, owner, *seq);
            if (existing && entry.queued && !existing->queued) {
              existing->queued = true;
              return mam::put(txn, accounts_, owner, *seq, *existing);
            }
            return {};
          }
          auto devices = mam::devices(txn, accounts_, owner);
          Entry e = entry;
          e.waiting = mam::recent_slots(devices, window_start);
          for (const mam::Device& d : devices) {
            if (d.name == except) {
              e.waiting &= ~(1U << d.slot);
            }
          }
          if (e.waiting == 0 && !e.queued) {
            return {};  // no other device to bring up to date
          }
          auto appended = mam::append(txn, accounts_, owner, e, account_);
          return appended ? Result<void, StoreError>() : Err(appended.error());
        },
        "message not archived", ctx_->hold_ack());
  }

  // `device` has these messages: it no longer waits for them, and a message nobody waits for
  // any more goes. `from_queue`: the offline queue delivered it (it no longer hides it).
  void received(const std::string& owner, const std::string& device,
                const std::vector<std::string>& ids, bool from_queue) {
    auto window_start =
        now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(device_window_).count();
    write(
        [this, owner, device, ids, from_queue,
         window_start](WriteTxn& txn) -> Result<void, StoreError> {
          auto devices = mam::devices(txn, accounts_, owner);
          std::uint32_t recent = mam::recent_slots(devices, window_start);
          std::uint32_t bit = 0;
          for (const mam::Device& d : devices) {
            if (d.name == device) {
              bit = 1U << d.slot;
            }
          }
          for (const std::string& id : ids) {
            auto seq = mam::find_id(txn, accounts_, owner, id);
            auto entry = seq ? mam::get(txn, accounts_, owner, *seq) : std::nullopt;
            if (!entry) {
              continue;
            }
            entry->waiting &= ~bit;
            entry->queued = entry->queued && !from_queue;
            Result<void, StoreError> r = !entry->queued && (entry->waiting & recent) == 0
                                             ? mam::remove(txn, accounts_, owner, *seq)
                                             : mam::put(txn, accounts_, owner, *seq, *entry);
            if (!r) {
              return r;
            }
          }
          return {};
        },
        "archive not updated");
  }

  void seen(const xmpp::Jid& full) {
    write(
        [this, owner = std::string(full.bare_view()), device = std::string(full.resource()),
         at = now_ms()](WriteTxn& txn) -> Result<void, StoreError> {
          auto d = mam::seen(txn, accounts_, owner, device, at);
          return d ? Result<void, StoreError>() : Err(d.error());
        },
        "device not recorded");
  }

  void query_account(IqRequest& req) {
    if (!req.to_own_account()) {  // §8.1: one's own archive only
      return req.reply_error(xmpp::StanzaError::forbidden("only your own archive"));
    }
    const std::string owner(req.from().bare_view());
    const std::string device(req.from().resource());
    std::uint32_t bit = 0;
    if (auto txn = ctx_->read()) {
      for (const mam::Device& d : mam::devices(*txn, accounts_, owner)) {
        if (d.name == device) {
          bit = 1U << d.slot;
        }
      }
    }
    // What this device has not got, and nothing the offline queue will still bring it.
    auto page = run(req.iq(), accounts_, owner,
                    [bit](const Entry& e) { return !e.queued && (e.waiting & bit) != 0; });
    if (!page) {
      return req.reply_error(page.error());
    }
    std::vector<std::string> fetched;
    for (xmpp::StanzaPtr& m : mam::write_results(owner, req.from(), page->first, page->second)) {
      fetched.emplace_back(m->root().child("result", xmpp::ns::kMam)->attr("id"));
      ctx_->send_to_session(req.from(), std::move(m));
    }
    // The results go before the answer, as §4.2 wants (the same session, in order).
    mam::write_fin(req.reply_result(), page->second);
    if (!fetched.empty()) {
      received(owner, device, fetched, false);  // fetched: it has them now
    }
  }

  // Reads and runs a query on `owner`'s archive.
  Result<std::pair<mam::Query, mam::Page>, xmpp::StanzaError> run(
      const xmpp::Element& iq, const ArchiveStores& stores, const std::string& owner,
      const std::function<bool(const Entry&)>& visible) {
    const xmpp::Element* element = iq.child("query", xmpp::ns::kMam);
    if (element == nullptr) {
      return Err(xmpp::StanzaError::bad_request());
    }
    auto query = mam::read_query(*element, pages_);
    if (!query) {
      return Err(query.error());
    }
    auto txn = ctx_->read();
    if (!txn) {
      return Err(xmpp::StanzaError::internal_server_error());
    }
    auto page = mam::run_query(*txn, stores, owner, *query, visible);
    if (!page) {
      return Err(page.error());
    }
    return std::make_pair(std::move(query).value(), std::move(page).value());
  }

  static void prefs(IqRequest& req) {
    // §5: Tern's sync archive keeps what devices have not got yet, whatever the contact: it
    // answers with what it does; a change asking anything else is refused.
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    std::string_view wanted = req.payload().attr("default");
    if (req.iq().attr("type") == "set" && wanted != "always") {
      return req.reply_error(xmpp::StanzaError::not_allowed(
          "this server's archive only keeps messages until your devices have them"));
    }
    xmpp::Element& prefs = req.reply_result({xmpp::ns::kMam, "prefs"});
    prefs.set_attr("default", "always");
    prefs.add_child("always", xmpp::ns::kMam);
    prefs.add_child("never", xmpp::ns::kMam);
  }

  void sweep() {
    auto now = Clock::now();
    constexpr std::size_t kPerSweep = 10000;  // a bound on one write; the next sweep goes on
    write(
        [this, now](WriteTxn& txn) -> Result<void, StoreError> {
          if (auto r = mam::expire(txn, accounts_, now - account_.max_age, kPerSweep); !r) {
            return Err(r.error());
          }
          if (archives_rooms()) {
            if (auto r = mam::expire(txn, rooms_, now - room_.max_age, kPerSweep); !r) {
              return Err(r.error());
            }
          }
          return {};
        },
        "archive sweep failed");
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  bool sync_archive_ = true;
  std::chrono::seconds device_window_{30 * 86400};
  mam::Retention account_;
  mam::Retention room_;
  mam::PageLimits pages_;
  ArchiveStores accounts_;
  ArchiveStores rooms_;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Mam, mam, "XEP-0313 archives: rooms, and a sync archive for each account's devices")
