// SPDX-License-Identifier: MIT
#include "modules/pep/notifier.h"

#include <algorithm>
#include <set>

#include "modules/pep/access.h"
#include "xmpp/random_ids.h"
#include "xmpp/stream_parser.h"

namespace tern::modules::pep {

void Notifier::add_item(xmpp::Element& event, std::string_view node, std::string_view id,
                        std::string_view payload) {
  xmpp::Element& item = event.add_child("items").set_attr("node", node).add_child("item");
  item.set_attr("id", id);
  if (payload.empty()) {
    return;
  }
  if (xmpp::StanzaPtr parsed = xmpp::parse_stanza(payload)) {
    item.append(parsed->root().clone_into(item.arena()));
  }
}

bool Notifier::blocked(const ReadTxn& txn, std::string_view owner, std::string_view contact) const {
  if (blocking_ == nullptr) {
    return false;
  }
  auto jid = xmpp::Jid::parse(contact);
  return !jid || blocking_->blocks(txn, owner, *jid);
}

bool Notifier::wants(const ResourceInfo& resource, std::string_view node) {
  if (!resource.available) {
    return false;
  }
  std::optional<xmpp::CapsClaim> claim;
  if (resource.presence) {
    claim = xmpp::caps_claim(resource.presence->root());
  }
  auto nodes = interests_.of(resource.jid.full(), claim);
  return nodes && nodes->contains(node);
}

void Notifier::send(std::string_view owner, const xmpp::Jid& to,
                    const std::function<void(xmpp::Element& event)>& fill) {
  xmpp::StanzaPtr message = xmpp::Stanza::create("message", xmpp::ns::kClient);
  xmpp::Element& root = message->root();
  root.set_attr("from", owner);
  root.set_attr("to", to.full());
  root.set_attr("type", "headline");
  root.set_attr("id", xmpp::random_hex(8));
  fill(root.add_child("event", xmpp::ns::kPubsubEvent));
  ctx_.route(std::move(message));
}

void Notifier::broadcast(std::string_view owner, std::string_view node, const NodeConfig& config,
                         const std::function<void(xmpp::Element& event)>& fill) {
  if (!config.deliver_notifications()) {
    return;
  }
  // Accounts whose interested resources hear (caps-filtered), and full JIDs subscribed
  // explicitly (XEP-0163 §4.3.2: exactly one notification, to that JID, whatever its caps).
  std::vector<std::string> accounts{std::string(owner)};
  std::vector<xmpp::Jid> full_subscribers;
  {
    auto txn = ctx_.read();
    if (!txn) {
      return;
    }
    auto may_read = [&](std::string_view bare) {
      if (bare == owner) {
        return true;
      }
      return access(config, false, roster_.item(*txn, owner, bare)) == Access::Allowed &&
             !blocked(*txn, owner, bare);
    };
    if (config.access_model() != AccessModel::Whitelist) {  // else nobody else may read it
      for (const roster::RosterItem& contact : roster_.items(*txn, owner)) {
        // XEP-0163 §4: contacts subscribed to the owner's presence hear.
        if (roster::has_from(contact.subscription) &&
            access(config, false, contact) == Access::Allowed &&
            !blocked(*txn, owner, contact.jid)) {
          accounts.push_back(contact.jid);
        }
      }
    }
    for (const std::string& subscriber : store_.subscribers(*txn, owner, node)) {
      auto jid = xmpp::Jid::parse(subscriber);
      if (!jid || !may_read(jid->bare_view())) {
        continue;  // access lost since (a subscription cancelled, a block)
      }
      if (jid->has_resource()) {
        full_subscribers.push_back(std::move(*jid));
      } else if (std::find(accounts.begin(), accounts.end(), jid->bare_view()) == accounts.end()) {
        accounts.emplace_back(jid->bare_view());  // a bare JID: its interested resources
      }
    }
  }  // the transaction ends before anything is routed
  std::set<std::string> sent;
  for (const std::string& account : accounts) {
    for (const ResourceInfo& resource : ctx_.resources(account)) {
      if (wants(resource, node) && sent.emplace(resource.jid.full()).second) {
        send(owner, resource.jid, fill);
      }
    }
  }
  for (const xmpp::Jid& subscriber : full_subscribers) {
    if (sent.emplace(subscriber.full()).second) {
      send(owner, subscriber, fill);
    }
  }
}

void Notifier::send_item(std::string_view owner, const xmpp::Jid& to, std::string_view node,
                         const Item& item, bool with_payload) {
  send(owner, to, [&](xmpp::Element& event) {
    add_item(event, node, item.id, with_payload ? std::string_view(item.payload) : "");
  });
}

void Notifier::send_last_items(const xmpp::Jid& resource, const NotifyNodes& nodes) {
  if (nodes.empty()) {
    return;
  }
  struct Last {
    std::string owner;
    std::string node;
    Item item;
  };
  std::vector<Last> owed;
  {
    auto txn = ctx_.read();
    if (!txn) {
      return;
    }
    const std::string viewer(resource.bare_view());
    std::vector<std::string> owners{viewer};
    for (const roster::RosterItem& contact : roster_.items(*txn, viewer)) {
      if (roster::has_to(contact.subscription)) {
        owners.push_back(contact.jid);
      }
    }
    for (const std::string& owner : owners) {
      const bool is_owner = owner == viewer;
      if (!is_owner && blocked(*txn, owner, viewer)) {
        continue;
      }
      std::optional<roster::RosterItem> item;
      if (!is_owner) {
        item = roster_.item(*txn, owner, viewer);  // the owner's roster decides
      }
      for (const std::string& name : nodes) {
        auto node = store_.node(*txn, owner, name);
        if (!node ||
            node->config.send_last_published_item() != SendLastItem::OnSubscriptionAndPresence ||
            !node->config.deliver_notifications() ||
            access(node->config, is_owner, item) != Access::Allowed) {
          continue;
        }
        if (auto last = store_.last_item(*txn, owner, *node)) {
          if (!node->config.deliver_payloads()) {
            last->payload.clear();
          }
          owed.push_back({owner, name, std::move(*last)});
        }
      }
    }
  }  // the transaction ends before anything is routed
  for (const Last& last : owed) {
    send(last.owner, resource, [&](xmpp::Element& event) {
      add_item(event, last.node, last.item.id, last.item.payload);
    });
  }
}

}  // namespace tern::modules::pep
