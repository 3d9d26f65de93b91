// SPDX-License-Identifier: MIT
// XEP-0045 Multi-User Chat: the service at conference.HOST (ModuleContext::serve_domain). Each
// room lives on the worker its JID hashes to, so this instance owns the rooms it holds and
// nothing locks per stanza; stanzas reach it through the router like any delivery. Rooms are
// created on a first presence, restored from the store ("muc", room_store.h) on first use when
// persistent, and let go when they are destroyed or a temporary room empties. A persistent room
// empty for [modules.muc] unload_after seconds is unloaded (its state is in the store, its
// history in its archive) and loaded again on its next stanza; max_rooms bounds the rooms held in
// memory, and a room to load at the bound takes the place of the empty one idle longest. What a
// room does is room*.cpp; this file is the service: dispatch, creation, disco of the service,
// storage and the account-deletion clean-up.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "modules/muc/room.h"
#include "modules/muc/room_internal.h"
#include "modules/muc/room_store.h"
#include "modules/services/mam_service.h"
#include "modules/services/push_service.h"
#include "tern/module_api.h"
#include "xmpp/namespaces.h"
#include "xmpp/random_ids.h"

namespace tern::modules {
namespace {

using muc::Room;

// A message the service sends itself, from the host's own domain (no client can: 'from' is
// stamped), to tell a room on another worker that an account was deleted.
constexpr std::string_view kInternalNs = "urn:x-tern:muc-internal";

// What the service's instances share: the public rooms they hold (for the service's
// disco#items) and how many rooms exist. Locked only when a room appears, changes its listing
// or goes, never per stanza.
struct Directory {
  std::mutex mutex;
  std::map<std::string, std::string> listed;  // room JID → name
  std::atomic<std::int64_t> rooms{0};
};

class Muc final : public Module, public muc::RoomHost {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    log_ = ctx.log();
    ModuleOptions& options = ctx.options();
    std::string subdomain = options.string("subdomain", "conference");
    std::string name = options.string("name", "Chatrooms");
    allow_creation_ = options.boolean("allow_room_creation", true);
    max_rooms_ = options.integer("max_rooms", 100000, 1, 100000000);
    limits_.max_occupants = options.integer("max_occupants", 1000, 1, 1000000);
    limits_.max_history = options.integer("max_history", 100, 0, 10000);
    limits_.invitations_per_minute = options.integer("invitations_per_minute", 10, 1, 10000);
    limits_.allow_unaffiliated_register = options.boolean("allow_unaffiliated_register", false);
    default_history_ =
        options.integer("default_history", 20, 0, std::max<std::int64_t>(limits_.max_history, 0));
    default_persistent_ = options.boolean("default_persistent", false);
    default_public_ = options.boolean("default_public", true);
    unload_after_ = std::chrono::seconds(options.integer("unload_after", 600, 1, 31536000));
    store_ = ctx.open_store("muc", StoreScope::Global);
    archive_ = ctx.service<mam::ArchiveService>("mam");  // null without archives
    push_ = ctx.service<push::PushService>("push");      // null without push
    directory_ = ctx.shared<Directory>("directory");
    domain_ = subdomain + "." + std::string(ctx.host());
    service_name_ = name;
    ctx.serve_domain(subdomain, name, [this](xmpp::StanzaPtr stanza) { on_stanza(*stanza); });
    ctx.on_account_deleted(HookStage::Observe,
                           [this](const AccountDeleted& e) { account_deleted(e.bare_jid); });
    // Checked often enough that a room goes within about unload_after and a tenth of it.
    ctx.every(std::clamp(unload_after_ / 10, std::chrono::seconds(1), std::chrono::seconds(60)),
              [this] { unload_idle_rooms(); });
    // XEP-0045 §11.2: occupants learn the service is going away (332).
    ctx.on_stopping([this] {
      for (auto& [jid, held] : rooms_) {
        held.room->shut_down();
      }
    });
  }

  // RoomHost
  void send(xmpp::StanzaPtr stanza) override { ctx_->route(std::move(stanza)); }
  void send_to_many(std::shared_ptr<const xmpp::Stanza> stanza,
                    std::vector<xmpp::Jid> recipients) override {
    ctx_->fan_out(std::move(stanza), std::move(recipients));
  }
  void save_state(const Room& room) override {
    std::string jid(room.jid().full());
    write([this, jid, state = room.state()](
              WriteTxn& txn) { return muc::save_room_state(txn, store_, jid, state); },
          jid);
  }
  void save_affiliation(const Room& room, std::string_view jid,
                        const muc::AffiliationEntry& entry) override {
    std::string room_jid(room.jid().full());
    std::string who(jid);
    write(
        [this, room_jid, who, entry](WriteTxn& txn) {
          return muc::save_room_affiliation(txn, store_, room_jid, who, entry);
        },
        room_jid);
  }
  void forget(const Room& room) override {
    std::string jid(room.jid().full());
    write([this, jid](WriteTxn& txn) { return muc::forget_room(txn, store_, jid); }, jid);
  }
  const muc::ConfigLimits& limits() const override { return limits_; }
  muc::Clock::time_point now() const override { return muc::Clock::now(); }
  void log_refusal(std::string_view what, const Room& room, std::string_view who) override {
    log_.info("limit.refused", what, {{"room", room.jid().full()}, {"jid", who}});
  }
  std::string new_stanza_id() override { return xmpp::random_uuid(); }
  bool archives() const override { return archive_ != nullptr && archive_->archives_rooms(); }
  void archive(const Room& room, std::string_view stanza_id, const xmpp::Stanza& message) override {
    archive_->archive_room_message(room.jid().full(), stanza_id, message);
  }
  void query_archive(const Room& room, const xmpp::Stanza& iq) override {
    archive_->query_room(room.jid().full(), iq);
  }
  bool wakes_absent_members() const override {
    return push_ != nullptr && push_->wakes_for_mentions();
  }
  void message_for_absent(const xmpp::Stanza& message,
                          const std::vector<std::pair<std::string, std::string>>& absent) override {
    push_->room_message_for_absent(message, absent);
  }

 private:
  struct HeldRoom {
    std::unique_ptr<Room> room;
    std::optional<std::string> listed;  // the name the directory has for it, if listed
    // When a room with nobody in it last handled a stanza (unset while occupied).
    std::optional<muc::Clock::time_point> empty_since;
  };

  void write(StoreWrite op, const std::string& room) {
    ctx_->write(std::move(op), [this, room](StoreStatus status) {
      if (!status) {
        log_.error("room.store_failed", "a room's change was not stored", {{"room", room}});
      }
    });
  }

  void on_stanza(const xmpp::Stanza& stanza) {
    const xmpp::Jid* to = stanza.to_jid();
    const xmpp::Jid* from = stanza.from_jid();
    if (to == nullptr || from == nullptr) {
      return;
    }
    if (!from->has_local() && from->domain() == ctx_->host()) {
      return internal(stanza, *to);
    }
    if (!to->has_local()) {
      return to_service(stanza);
    }
    std::string key(to->bare_view());
    bool full = false;
    HeldRoom* held = find_room(key, full);
    std::string_view nick = to->resource();
    if (full) {
      if (stanza.type() != "error" && stanza.type() != "result") {
        if (xmpp::StanzaPtr reply = muc::internal::error_reply(
                stanza, xmpp::StanzaError::resource_constraint("too many rooms on this service"),
                to->bare_view())) {
          ctx_->route(std::move(reply));
        }
      }
      return;
    }
    if (held == nullptr) {
      held = maybe_create(stanza, *to, *from);
      if (held == nullptr) {
        return;
      }
    } else {
      dispatch(*held->room, stanza, *from, nick);
    }
    settle(key, *held);
  }

  static void dispatch(Room& room, const xmpp::Stanza& stanza, const xmpp::Jid& from,
                       std::string_view nick) {
    switch (stanza.kind()) {
      case xmpp::StanzaKind::Presence:
        return room.on_presence(stanza, from, nick);
      case xmpp::StanzaKind::Message:
        return room.on_message(stanza, from, nick);
      case xmpp::StanzaKind::Iq:
        return room.on_iq(stanza, from, nick);
      default:
        return;
    }
  }

  // The room in memory, or a persistent room loaded from the store (not in memory since the
  // start, or unloaded since). Null when there is no such room, and when it exists but cannot be
  // loaded at max_rooms (`full` is then set).
  HeldRoom* find_room(const std::string& key, bool& full) {
    full = false;
    if (auto it = rooms_.find(key); it != rooms_.end()) {
      return &it->second;
    }
    auto txn = ctx_->read();
    if (!txn) {
      return nullptr;
    }
    auto stored = muc::load_room(*txn, store_, key);
    if (!stored) {
      return nullptr;
    }
    auto jid = xmpp::Jid::parse(key);
    if (!jid) {
      return nullptr;
    }
    if (!make_room_for_one()) {
      full = true;
      log_.warn("limit.refused", "stored room not loaded: max_rooms reached",
                {{"room", key}, {"max_rooms", max_rooms_}});
      return nullptr;
    }
    directory_->rooms.fetch_add(1, std::memory_order_relaxed);
    auto room = std::make_unique<Room>(std::move(jid).value(), std::move(stored->state),
                                       std::move(stored->affiliations), *this);
    // The history newcomers are shown comes back from the room's archive.
    if (archives() && room->state().config.archived) {
      auto length = static_cast<std::size_t>(room->state().config.history_length);
      for (mam::ArchivedRoomMessage& m : archive_->recent_room_messages(key, length)) {
        room->recall(std::move(m.message), m.when);
      }
    }
    return &(rooms_[key] = HeldRoom{std::move(room), std::nullopt, now()});
  }

  // Below max_rooms, or brought below it by unloading this worker's room that has been empty
  // longest. False when every room held here has someone in it.
  bool make_room_for_one() {
    if (directory_->rooms.load(std::memory_order_relaxed) < max_rooms_) {
      return true;
    }
    auto oldest = rooms_.end();
    for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
      const auto& since = it->second.empty_since;
      if (since && (oldest == rooms_.end() || *since < *oldest->second.empty_since)) {
        oldest = it;
      }
    }
    if (oldest == rooms_.end()) {
      return false;
    }
    unload(oldest);
    return true;
  }

  void unload_idle_rooms() {
    muc::Clock::time_point cutoff = now() - unload_after_;
    for (auto it = rooms_.begin(); it != rooms_.end();) {
      const auto& since = it->second.empty_since;
      auto next = std::next(it);
      if (since && *since <= cutoff) {
        unload(it);
      }
      it = next;
    }
  }

  // An empty persistent room leaves memory; everything it keeps is in the store already.
  void unload(std::map<std::string, HeldRoom>::iterator it) {
    if (it->second.listed) {
      std::lock_guard lock(directory_->mutex);  // the store lists it from now on
      directory_->listed.erase(it->first);
    }
    log_.info("room.unloaded", "empty persistent room unloaded", {{"room", it->first}});
    rooms_.erase(it);
    directory_->rooms.fetch_sub(1, std::memory_order_relaxed);
  }

  HeldRoom* maybe_create(const xmpp::Stanza& stanza, const xmpp::Jid& to, const xmpp::Jid& from) {
    auto refuse = [&](const xmpp::StanzaError& error) -> HeldRoom* {
      if (xmpp::StanzaPtr reply = muc::internal::error_reply(stanza, error, to.bare_view())) {
        ctx_->route(std::move(reply));
      }
      return nullptr;
    };
    bool entering = stanza.kind() == xmpp::StanzaKind::Presence && stanza.type().empty();
    if (!entering) {
      if (stanza.kind() == xmpp::StanzaKind::Presence || stanza.type() == "error" ||
          stanza.type() == "result") {
        return nullptr;
      }
      return refuse(xmpp::StanzaError::item_not_found("no such room"));
    }
    if (!to.has_resource()) {
      return refuse(xmpp::StanzaError::jid_malformed("a nickname is required"));
    }
    if (stanza.root().child("x", xmpp::ns::kMuc) == nullptr) {
      return refuse(xmpp::StanzaError::item_not_found("no such room"));  // §7.2.18
    }
    if (!allow_creation_) {
      log_.info("limit.refused", "room creation is off", {{"room", to.bare_view()}});
      return refuse(xmpp::StanzaError::not_allowed("rooms cannot be created here"));
    }
    if (!make_room_for_one()) {
      log_.warn("limit.refused", "room not created: max_rooms reached",
                {{"room", to.bare_view()}, {"max_rooms", max_rooms_}});
      return refuse(xmpp::StanzaError::resource_constraint("too many rooms on this service"));
    }
    directory_->rooms.fetch_add(1, std::memory_order_relaxed);
    muc::RoomState state;
    state.config.history_length = default_history_;
    state.config.persistent = default_persistent_;
    state.config.is_public = default_public_;
    state.salt = xmpp::random_hex(16);
    std::string key(to.bare_view());
    auto room = std::make_unique<Room>(to.bare(), std::move(state), muc::Affiliations{}, *this);
    HeldRoom& held = rooms_[key] = HeldRoom{std::move(room), std::nullopt, std::nullopt};
    held.room->create(stanza, from, to.resource());
    log_.info("room.created", "room created", {{"room", key}, {"owner", from.bare_view()}});
    return &held;
  }

  // After a stanza: a finished room goes; a room whose listing changed updates the directory.
  void settle(const std::string& key, HeldRoom& held) {
    const Room& room = *held.room;
    std::optional<std::string> listing;
    if (!room.finished() && !room.locked() && room.state().config.is_public) {
      listing = room.state().config.name;
    }
    if (listing != held.listed) {
      std::lock_guard lock(directory_->mutex);
      if (listing) {
        directory_->listed[key] = *listing;
      } else {
        directory_->listed.erase(key);
      }
      held.listed = listing;
    }
    // Empty since its last stanza: a room still being administered from outside stays.
    if (room.occupant_count() > 0) {
      held.empty_since.reset();
    } else {
      held.empty_since = now();
    }
    if (room.finished()) {
      if (room.destroyed()) {
        log_.info("room.destroyed", "room destroyed", {{"room", key}});
      }
      if (archive_ != nullptr) {
        archive_->forget_room(key);  // a room's data goes with the room
      }
      rooms_.erase(key);
      directory_->rooms.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void to_service(const xmpp::Stanza& stanza) {
    if (stanza.kind() != xmpp::StanzaKind::Iq) {
      return;
    }
    std::string_view type = stanza.type();
    if (type != "get" && type != "set") {
      return;
    }
    const xmpp::Element* query = stanza.root().first_child();
    auto reply_error = [&](const xmpp::StanzaError& error) {
      if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza.root(), error)) {
        ctx_->route(std::move(reply));
      }
    };
    if (type != "get" || query == nullptr || stanza.root().child_element_count() != 1) {
      return reply_error(xmpp::StanzaError::service_unavailable());
    }
    if (query->is("query", xmpp::ns::kDiscoInfo) && query->attr("node").empty()) {
      xmpp::StanzaPtr reply = xmpp::make_iq_result(stanza.root());
      xmpp::Element& q = reply->root().add_child("query", xmpp::ns::kDiscoInfo);
      q.add_child("identity", xmpp::ns::kDiscoInfo)
          .set_attr("category", "conference")
          .set_attr("type", "text")
          .set_attr("name", service_name_);
      for (std::string_view f : {xmpp::ns::kDiscoInfo, xmpp::ns::kDiscoItems, xmpp::ns::kMuc,
                                 xmpp::ns::kMucSelfPing, xmpp::ns::kOccupantId}) {
        q.add_child("feature", xmpp::ns::kDiscoInfo).set_attr("var", f);
      }
      return ctx_->route(std::move(reply));
    }
    if (query->is("query", xmpp::ns::kDiscoItems) && query->attr("node").empty()) {
      return ctx_->route(public_rooms(stanza));
    }
    if (query->is("ping", xmpp::ns::kPing)) {
      return ctx_->route(xmpp::make_iq_result(stanza.root()));
    }
    reply_error(xmpp::StanzaError::service_unavailable());
  }

  // §6.3: the public rooms, those in memory on every worker and the persistent ones stored.
  xmpp::StanzaPtr public_rooms(const xmpp::Stanza& request) {
    constexpr std::size_t kMaxListed = 1000;
    std::map<std::string, std::string> rooms;
    if (auto txn = ctx_->read()) {
      for (auto& [jid, name] : muc::public_rooms(*txn, store_, domain_, kMaxListed)) {
        rooms.emplace(std::move(jid), std::move(name));
      }
    }
    {
      std::lock_guard lock(directory_->mutex);
      for (const auto& [jid, name] : directory_->listed) {
        if (rooms.size() >= kMaxListed) {
          break;
        }
        if (jid.size() > domain_.size() && jid.ends_with("@" + domain_)) {
          rooms[jid] = name;
        }
      }
    }
    xmpp::StanzaPtr reply = xmpp::make_iq_result(request.root());
    xmpp::Element& q = reply->root().add_child("query", xmpp::ns::kDiscoItems);
    for (const auto& [jid, name] : rooms) {
      xmpp::Element& item = q.add_child("item", xmpp::ns::kDiscoItems).set_attr("jid", jid);
      if (!name.empty()) {
        item.set_attr("name", name);
      }
    }
    return reply;
  }

  void account_deleted(std::string_view bare_jid) {
    // The store first; then each room, wherever its worker is, forgets the account in memory.
    auto rooms = std::make_shared<std::vector<std::string>>();
    std::string jid(bare_jid);
    ctx_->write(
        [this, jid, rooms](WriteTxn& txn) -> Result<void, StoreError> {
          auto forgotten = muc::forget_account(txn, store_, jid);
          if (!forgotten) {
            return Err(forgotten.error());
          }
          *rooms = std::move(forgotten).value();
          return {};
        },
        [this, jid, rooms](StoreStatus status) {
          if (!status) {
            log_.error("room.store_failed", "a deleted account's affiliations were not removed",
                       {{"jid", jid}});
            return;
          }
          for (const std::string& room : *rooms) {
            xmpp::StanzaPtr note = xmpp::Stanza::create("message", xmpp::ns::kClient);
            note->root().set_attr("from", ctx_->host()).set_attr("to", room);
            note->root().add_child("forget", kInternalNs).set_attr("jid", jid);
            ctx_->route(std::move(note));
          }
        });
  }

  void internal(const xmpp::Stanza& stanza, const xmpp::Jid& to) {
    const xmpp::Element* forget = stanza.root().child("forget", kInternalNs);
    if (forget == nullptr || !to.has_local()) {
      return;
    }
    if (auto it = rooms_.find(std::string(to.bare_view())); it != rooms_.end()) {
      it->second.room->forget_account(forget->attr("jid"));
    }
  }

  ModuleContext* ctx_ = nullptr;
  log::Logger log_;
  StoreId store_;
  std::shared_ptr<Directory> directory_;
  std::string domain_;
  std::string service_name_;
  bool allow_creation_ = true;
  std::int64_t max_rooms_ = 100000;
  std::int64_t default_history_ = 20;
  bool default_persistent_ = false;
  bool default_public_ = true;
  std::chrono::seconds unload_after_{600};
  muc::ConfigLimits limits_;
  mam::ArchiveService* archive_ = nullptr;
  push::PushService* push_ = nullptr;
  std::map<std::string, HeldRoom> rooms_;  // the rooms this worker holds, by JID
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Muc, muc, "XEP-0045 multi-user chat at conference.HOST", "mam?", "push?")
