// SPDX-License-Identifier: MIT
// Roster item XML, pushes and the item-changing store write.
#include "modules/roster/roster_items.h"

#include <atomic>
#include <memory>

namespace tern::modules::roster {

void append_item(xmpp::Element& query, const RosterItem& item) {
  xmpp::Element& e = query.add_child("item", xmpp::ns::kRoster);
  e.set_attr("jid", item.jid);
  if (!item.name.empty()) {
    e.set_attr("name", item.name);
  }
  e.set_attr("subscription", subscription_name(item.subscription));
  if (item.ask) {
    e.set_attr("ask", "subscribe");
  }
  if (item.approved) {
    e.set_attr("approved", "true");
  }
  for (const std::string& group : item.groups) {
    e.add_child("group", xmpp::ns::kRoster).set_text(group);
  }
}

void push_item(ModuleContext& ctx, const std::string& owner, const RosterItem& item,
               std::uint64_t version, bool removed) {
  static std::atomic<std::uint64_t> next_id{0};  // pushes only need distinct ids
  for (const ResourceInfo& r : ctx.resources(owner)) {
    if (!r.interested) {
      continue;
    }
    xmpp::StanzaPtr push = xmpp::Stanza::create("iq", xmpp::ns::kClient);
    push->root()
        .set_attr("type", "set")
        .set_attr("id", "push" + std::to_string(++next_id))
        .set_attr("to", r.jid.full());
    xmpp::Element& query = push->root().add_child("query", xmpp::ns::kRoster);
    query.set_attr("ver", std::to_string(version));
    if (removed) {
      query.add_child("item", xmpp::ns::kRoster)
          .set_attr("jid", item.jid)
          .set_attr("subscription", "remove");
    } else {
      append_item(query, item);
    }
    ctx.send_to_session(r.jid, std::move(push));
  }
}

bool shows_the_same(const RosterItem& a, const RosterItem& b) {
  RosterItem shown_a = a;
  RosterItem shown_b = b;
  shown_a.pending_in = shown_b.pending_in = false;
  return shown_a == shown_b;
}

bool is_empty(const RosterItem& item) {
  return !item.visible && item.subscription == Subscription::None && !item.ask &&
         !item.pending_in && !item.approved;
}

void change_item(ModuleContext& ctx, const RosterStore& store, const std::string& owner,
                 const std::string& contact, std::function<bool(RosterItem&)> edit,
                 std::function<void(const ItemChange&)> done, AdmitChange admit) {
  // Filled on the writer thread, read on the worker after the commit.
  auto change = std::make_shared<ItemChange>();
  ctx.write(
      [owner, contact, edit = std::move(edit), admit = std::move(admit), change,
       store](WriteTxn& txn) -> Result<void, StoreError> {
        change->before = store.get(txn, owner, contact);
        RosterItem item;
        if (change->before) {
          item = *change->before;
        } else {
          item.jid = contact;
          item.visible = false;
        }
        RosterItem unchanged = item;
        if (!edit(item)) {
          change->after = std::move(item);
          return {};
        }
        if (admit && !admit(txn, unchanged, item)) {
          change->refused = true;
          change->after = std::move(unchanged);
          return {};
        }
        auto version =
            is_empty(item) ? store.remove(txn, owner, contact) : store.put(txn, owner, item);
        if (!version) {
          return Err(version.error());
        }
        change->version = *version;
        change->after = std::move(item);
        return {};
      },
      [change, done = std::move(done)](bool ok) {
        change->ok = ok;
        done(*change);
      });
}

}  // namespace tern::modules::roster
