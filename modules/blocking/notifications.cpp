// SPDX-License-Identifier: MIT
// Blocklist pushes and the presence contacts see when they are blocked or unblocked.
#include "modules/blocking/notifications.h"

#include <atomic>
#include <set>

#include "xmpp/presence.h"

namespace tern::modules::blocking {
namespace {

using roster::RosterItem;

// The addresses `items` block among the contacts with a presence subscription to `owner`
// (RFC 6121 §4: only they may see its presence): a contact's bare JID, or one resource of it for
// a full-JID item. With `still_blocking`, addresses that blocklist still blocks are left out.
std::set<std::string> presence_recipients(const roster::RosterService& roster, const ReadTxn& txn,
                                          const std::string& owner,
                                          const std::vector<std::string>& items,
                                          const BlocklistStore* still_blocking) {
  std::vector<xmpp::Jid> parsed;
  for (const std::string& item : items) {
    if (auto jid = xmpp::Jid::parse(item)) {
      parsed.push_back(std::move(*jid));
    }
  }
  std::set<std::string> out;
  for (const RosterItem& contact : roster.items(txn, owner)) {
    if (!roster::has_from(contact.subscription)) {
      continue;
    }
    auto contact_jid = xmpp::Jid::parse(contact.jid);
    if (!contact_jid) {
      continue;
    }
    for (const xmpp::Jid& item : parsed) {
      const xmpp::Jid* address = nullptr;
      if (item.has_resource() && item.bare_view() == contact_jid->full()) {
        address = &item;  // one resource of the contact
      } else if (blocklist_item_blocks(item, *contact_jid)) {
        address = &*contact_jid;
      }
      if (address != nullptr &&
          !(still_blocking != nullptr && still_blocking->is_blocked(txn, owner, *address))) {
        out.emplace(address->full());
      }
    }
  }
  return out;
}

}  // namespace

void push_to_interested(ModuleContext& ctx, const std::string& owner, std::string_view command,
                        const std::vector<std::string>& items) {
  static std::atomic<std::uint64_t> next_id{0};  // pushes only need distinct ids
  for (const ResourceInfo& r : ctx.resources(owner)) {
    if (!r.has_flag(kInterestedFlag)) {
      continue;
    }
    xmpp::StanzaPtr push = xmpp::Stanza::create("iq", xmpp::ns::kClient);
    push->root()
        .set_attr("type", "set")
        .set_attr("id", "blockpush" + std::to_string(++next_id))
        .set_attr("to", r.jid.full());
    xmpp::Element& payload = push->root().add_child(command, xmpp::ns::kBlocking);
    for (const std::string& item : items) {
      payload.add_child("item", xmpp::ns::kBlocking).set_attr("jid", item);
    }
    ctx.send_to_session(r.jid, std::move(push));
  }
}

void send_unavailable_to_blocked(ModuleContext& ctx, const roster::RosterService& roster,
                                 const std::string& owner,
                                 const std::vector<std::string>& blocked) {
  std::set<std::string> recipients;
  if (auto txn = ctx.read()) {
    recipients = presence_recipients(roster, *txn, owner, blocked, /*still_blocking=*/nullptr);
  }
  if (recipients.empty()) {
    return;
  }
  for (const ResourceInfo& r : ctx.resources(owner)) {
    if (!r.available) {
      continue;
    }
    for (const std::string& to : recipients) {
      ctx.route(xmpp::make_presence(r.jid.full(), to, "unavailable"));
    }
  }
}

void send_presence_to_unblocked(ModuleContext& ctx, const roster::RosterService& roster,
                                const BlocklistStore& blocklist, const std::string& owner,
                                const std::vector<std::string>& unblocked) {
  std::set<std::string> recipients;
  if (auto txn = ctx.read()) {
    recipients = presence_recipients(roster, *txn, owner, unblocked, &blocklist);
  }
  if (recipients.empty()) {
    return;
  }
  for (const ResourceInfo& r : ctx.resources(owner)) {
    if (!r.available || !r.presence) {
      continue;
    }
    for (const std::string& to : recipients) {
      ctx.route(xmpp::readdressed(*r.presence, to));
    }
  }
}

}  // namespace tern::modules::blocking
