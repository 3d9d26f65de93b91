// SPDX-License-Identifier: MIT
// RFC 6121 §2: roster get (with versioning, §2.6), set and remove, and roster pushes to the
// account's interested resources. Removing an item also cancels the subscriptions both ways
// (§2.5.2). Subscription states change through presence (modules/presence), which applies them
// through the RosterService this module provides (stored_rosters.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "modules/roster/roster_items.h"
#include "modules/roster/stored_rosters.h"
#include "tern/module_api.h"
#include "xmpp/presence.h"

namespace tern::modules {
namespace {

using roster::RosterItem;
using roster::RosterStore;

// The item of a roster set, checked per RFC 6121 §2.3.3 and §2.1.2.
struct ItemRequest {
  std::string jid;
  std::string name;
  std::vector<std::string> groups;
  bool remove = false;
};

Result<ItemRequest, xmpp::StanzaError> parse_set(const xmpp::Element& query) {
  const xmpp::Element* item = nullptr;
  for (const xmpp::Element& child : query.children()) {
    if (item != nullptr || !child.is("item", xmpp::ns::kRoster)) {
      return Err(xmpp::StanzaError::bad_request("a roster set carries exactly one <item/>"));
    }
    item = &child;
  }
  if (item == nullptr) {
    return Err(xmpp::StanzaError::bad_request("a roster set carries exactly one <item/>"));
  }
  auto jid = xmpp::Jid::parse(item->attr("jid"));
  if (!jid) {
    return Err(xmpp::StanzaError::jid_malformed());
  }
  if (jid->has_resource()) {
    return Err(xmpp::StanzaError::bad_request("roster items are bare JIDs"));
  }
  ItemRequest out;
  out.jid = jid->bare_view();
  out.name = item->attr("name");
  out.remove = item->attr("subscription") == "remove";
  std::set<std::string_view> seen;
  for (const xmpp::Element& child : item->children()) {
    if (!child.is("group", xmpp::ns::kRoster)) {
      continue;
    }
    std::string_view group = child.text();
    if (group.empty()) {
      return Err(xmpp::StanzaError::not_acceptable("empty group name"));
    }
    if (!seen.insert(group).second) {
      return Err(xmpp::StanzaError::bad_request("duplicate group"));
    }
    out.groups.emplace_back(group);
  }
  if (out.name.size() > 1024 || out.groups.size() > 64) {
    return Err(xmpp::StanzaError::not_acceptable("name or groups too long"));
  }
  return out;
}

class Roster final : public Module {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    rosters_ = RosterStore(ctx.open_store("roster"));
    service_.emplace(ctx, rosters_);
    ctx.provide<roster::RosterService>(*service_);  // for presence, blocking, registration …
    // [modules.roster] max_items: the most contacts one roster may hold.
    max_items_ = static_cast<std::size_t>(ctx.options().integer("max_items", 1000, 1, 100000));
    log_ = ctx.log();
    ctx.add_stream_feature({xmpp::ns::kRosterVer, "ver"});
    ctx.on_iq(IqType::Get, {xmpp::ns::kRoster, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { get(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kRoster, "query"}, Addressed::ToAccount,
              [this](IqRequest& req) { set(req); });
  }

 private:
  void get(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    std::string owner(req.from().bare_view());
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    ctx_->set_interested(req.from());
    std::string version = std::to_string(rosters_.version(*txn, owner));
    const xmpp::Attribute* asked = req.payload().find_attr("ver");
    if (asked != nullptr && asked->value == version) {
      req.reply_result();  // §2.6.3: the client's copy is current
      return;
    }
    xmpp::Element& query = req.reply_result({xmpp::ns::kRoster, "query"});
    query.set_attr("ver", version);
    for (const RosterItem& item : rosters_.items(*txn, owner)) {
      if (item.visible) {
        roster::append_item(query, item);
      }
    }
  }

  void set(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    auto request = parse_set(req.payload());
    if (!request) {
      return req.reply_error(request.error());
    }
    std::string owner(req.from().bare_view());
    if (request->remove) {
      return remove(req.defer(), owner, request->jid);
    }
    std::shared_ptr<DeferredIq> reply = req.defer();
    roster::change_item(
        *ctx_, rosters_, owner, request->jid,
        [request = *request](RosterItem& item) {
          item.visible = true;
          item.name = request.name;
          item.groups = request.groups;
          return true;
        },
        [this, reply, owner](const roster::ItemChange& change) {
          if (!change.ok) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (change.refused) {
            // RFC 6121 §2.3.3: a roster set that would go past the server's limit.
            log_.warn("limit.refused", "roster set refused: max_items reached",
                      {{"jid", owner}, {"max_items", static_cast<std::int64_t>(max_items_)}});
            return reply->reply_error(xmpp::StanzaError::not_allowed("the roster is full"));
          }
          reply->reply_result();
          roster::push_item(*ctx_, owner, change.after, change.version);
        },
        [owner, limit = max_items_, store = rosters_](WriteTxn& txn, const RosterItem& before,
                                                      const RosterItem& /*after*/) {
          return before.visible || visible_items(store, txn, owner) < limit;
        });
  }

  // §2.5.2: the item goes, and with it the subscriptions in both directions.
  void remove(const std::shared_ptr<DeferredIq>& reply, const std::string& owner,
              const std::string& contact) {
    roster::change_item(
        *ctx_, rosters_, owner, contact,
        [](RosterItem& item) {
          if (!item.visible) {
            return false;  // nothing the owner could remove
          }
          RosterItem cleared;  // empty: change_item deletes it
          cleared.jid = item.jid;
          cleared.visible = false;
          item = std::move(cleared);
          return true;
        },
        [this, reply, owner, contact](const roster::ItemChange& change) {
          if (!change.ok) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (!change.before || !change.before->visible) {
            return reply->reply_error(xmpp::StanzaError::item_not_found());
          }
          reply->reply_result();
          roster::push_item(*ctx_, owner, change.after, change.version, /*removed=*/true);
          const RosterItem& before = *change.before;
          if (roster::has_to(before.subscription) || before.ask) {
            ctx_->route(xmpp::make_presence(owner, contact, "unsubscribe"));
          }
          if (roster::has_from(before.subscription) || before.pending_in) {
            ctx_->route(xmpp::make_presence(owner, contact, "unsubscribed"));
          }
          if (roster::has_from(before.subscription)) {
            for (const ResourceInfo& r : ctx_->resources(owner)) {
              if (r.available) {
                ctx_->route(xmpp::make_presence(r.jid.full(), contact, "unavailable"));
              }
            }
          }
        });
  }

  // Counted inside the write (roster::AdmitChange): sets pipelined by a client each see the ones
  // before them.
  static std::size_t visible_items(const RosterStore& store, WriteTxn& txn,
                                   const std::string& owner) {
    std::vector<RosterItem> items = store.items(txn, owner);
    return static_cast<std::size_t>(std::count_if(
        items.begin(), items.end(), [](const RosterItem& item) { return item.visible; }));
  }

  ModuleContext* ctx_ = nullptr;
  RosterStore rosters_{StoreId{}};  // opened in start()
  std::optional<roster::StoredRosters> service_;
  log::Logger log_;
  std::size_t max_items_ = 1000;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Roster, roster, "RFC 6121 rosters: get, set, remove, pushes and versioning")
