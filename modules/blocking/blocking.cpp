// SPDX-License-Identifier: MIT
// XEP-0191 Blocking Command: the blocklist get (§3.2), block (§3.3), unblock (§3.4) and unblock
// all (§3.5) of the sender's own account, stored in its "blocklist" store (blocklist_store.h). A
// change is answered after it committed; then every resource that retrieved the blocklist gets a
// push and contacts see the owner go offline or come back (notifications.h). The hooks that keep
// blocked addresses out are in enforcement.h.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "modules/blocking/enforcement.h"
#include "modules/blocking/notifications.h"
#include "modules/services/blocking_service.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules {
namespace {

using blocking::blocklist_item_blocks;
using blocking::BlocklistStore;

// The <item jid/> children of a <block/> or <unblock/>, prepared, without duplicates, in order.
Result<std::vector<std::string>, xmpp::StanzaError> parse_items(const xmpp::Element& command) {
  std::vector<std::string> items;
  std::set<std::string, std::less<>> seen;
  for (const xmpp::Element& child : command.children()) {
    if (!child.is("item", xmpp::ns::kBlocking) || !child.has_attr("jid")) {
      return Err(xmpp::StanzaError::bad_request("only <item jid='…'/> may be listed"));
    }
    auto jid = xmpp::Jid::parse(child.attr("jid"));
    if (!jid) {
      return Err(xmpp::StanzaError::jid_malformed());
    }
    if (seen.emplace(jid->full()).second) {
      items.emplace_back(jid->full());
    }
  }
  return items;
}

// What a block write did, filled on the writer thread and read on the worker after the commit.
struct BlockOutcome {
  bool over_limit = false;
  std::vector<std::string> added;  // items that were not blocked before
};

// A subscription request from a contact the owner now blocks will never be answered: it is
// withdrawn, so that it is not delivered again on each initial presence (RFC 6121 §3.1.3 keeps
// it only until the owner decides, and blocking is a decision).
Result<void, StoreError> withdraw_pending_requests(const roster::RosterService& roster,
                                                   WriteTxn& txn, const std::string& owner,
                                                   const std::vector<std::string>& items) {
  std::vector<xmpp::Jid> blocked;
  for (const std::string& item : items) {
    if (auto jid = xmpp::Jid::parse(item)) {
      blocked.push_back(std::move(*jid));
    }
  }
  return roster.withdraw_requests(txn, owner, [&](std::string_view contact_jid) {
    auto contact = xmpp::Jid::parse(contact_jid);
    return contact && std::any_of(blocked.begin(), blocked.end(), [&](const xmpp::Jid& item) {
             return blocklist_item_blocks(item, *contact);
           });
  });
}

class Blocking final : public Module, public blocking::BlockingService {
 public:
  void start(ModuleContext& ctx) override {
    ctx_ = &ctx;
    blocklist_ = BlocklistStore(ctx.open_store("blocklist"));
    ctx.provide<blocking::BlockingService>(*this);
    roster_ = ctx.service<roster::RosterService>("roster");  // null without rosters
    // [modules.blocking] max_items: the most JIDs one blocklist may hold.
    max_items_ = static_cast<std::size_t>(ctx.options().integer("max_items", 1000, 1, 100000));
    ctx.add_disco_feature(xmpp::ns::kBlocking);
    ctx.on_iq(IqType::Get, {xmpp::ns::kBlocking, "blocklist"}, Addressed::ToAccount,
              [this](IqRequest& req) { get(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kBlocking, "block"}, Addressed::ToAccount,
              [this](IqRequest& req) { block(req); });
    ctx.on_iq(IqType::Set, {xmpp::ns::kBlocking, "unblock"}, Addressed::ToAccount,
              [this](IqRequest& req) { unblock(req); });
    for (xmpp::StanzaKind kind :
         {xmpp::StanzaKind::Message, xmpp::StanzaKind::Presence, xmpp::StanzaKind::Iq}) {
      // Refuse: before presence, offline or push may act on a stanza it stops.
      ctx.on_inbound(kind, HookStage::Refuse, [this](xmpp::StanzaPtr& stanza) {
        return blocking::enforce_inbound(*ctx_, blocklist_, stanza);
      });
      ctx.on_outbound(kind, HookStage::Refuse, [this](xmpp::StanzaPtr& stanza) {
        return blocking::enforce_outbound(*ctx_, blocklist_, stanza);
      });
    }
    ctx.on_fan_out(
        [this](FanOut& fan_out) { blocking::enforce_fan_out(*ctx_, blocklist_, fan_out); });
  }

  bool blocks(const ReadTxn& txn, std::string_view owner, const xmpp::Jid& address) const override {
    return blocklist_.is_blocked(txn, owner, address);
  }

 private:
  void get(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    auto txn = ctx_->read();
    if (!txn) {
      return req.reply_error(xmpp::StanzaError::internal_server_error());
    }
    // §3.3: from now on this resource gets the pushes.
    ctx_->set_flag(req.from(), blocking::kInterestedFlag, true);
    xmpp::Element& blocklist = req.reply_result({xmpp::ns::kBlocking, "blocklist"});
    for (const std::string& item : blocklist_.list(*txn, req.from().bare_view())) {
      blocklist.add_child("item", xmpp::ns::kBlocking).set_attr("jid", item);
    }
  }

  void block(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    auto items = parse_items(req.payload());
    if (!items) {
      return req.reply_error(items.error());
    }
    if (items->empty()) {
      return req.reply_error(xmpp::StanzaError::bad_request("<block/> needs an <item/>"));
    }
    std::string owner(req.from().bare_view());
    auto outcome = std::make_shared<BlockOutcome>();
    ctx_->write(
        [owner, items = *items, outcome, limit = max_items_, blocklist = blocklist_,
         roster = roster_](WriteTxn& txn) -> Result<void, StoreError> {
          std::vector<std::string> fresh;
          for (const std::string& item : items) {
            if (!blocklist.contains(txn, owner, item)) {
              fresh.push_back(item);
            }
          }
          // Counted here, in the write, so that two resources blocking at once cannot both pass.
          if (blocklist.count(txn, owner) + fresh.size() > limit) {
            outcome->over_limit = true;
            return {};
          }
          for (const std::string& item : fresh) {
            if (auto r = blocklist.add(txn, owner, item); !r) {
              return r;
            }
          }
          if (roster != nullptr) {
            if (auto r = withdraw_pending_requests(*roster, txn, owner, fresh); !r) {
              return r;
            }
          }
          outcome->added = std::move(fresh);
          return {};
        },
        [this, reply = req.defer(), owner, items = *items, outcome](bool ok) {
          if (!ok) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          if (outcome->over_limit) {
            return reply->reply_error(xmpp::StanzaError::not_allowed("the blocklist is full"));
          }
          reply->reply_result();
          blocking::push_to_interested(*ctx_, owner, "block", items);
          if (roster_ != nullptr) {
            blocking::send_unavailable_to_blocked(*ctx_, *roster_, owner, outcome->added);
          }
        });
  }

  void unblock(IqRequest& req) {
    if (!req.to_own_account()) {
      return req.reply_error(xmpp::StanzaError::forbidden());
    }
    auto items = parse_items(req.payload());
    if (!items) {
      return req.reply_error(items.error());
    }
    std::string owner(req.from().bare_view());
    // §3.5: no item means every item. Filled on the writer thread: what was actually removed.
    auto removed = std::make_shared<std::vector<std::string>>();
    ctx_->write(
        [owner, items = *items, removed,
         blocklist = blocklist_](WriteTxn& txn) -> Result<void, StoreError> {
          if (items.empty()) {
            *removed = blocklist.list(txn, owner);
            return blocklist.remove_all(txn, owner);
          }
          for (const std::string& item : items) {
            auto existed = blocklist.remove(txn, owner, item);
            if (!existed) {
              return Err(existed.error());
            }
            if (*existed) {
              removed->push_back(item);
            }
          }
          return {};
        },
        [this, reply = req.defer(), owner, items = *items, removed](bool ok) {
          if (!ok) {
            return reply->reply_error(xmpp::StanzaError::internal_server_error());
          }
          reply->reply_result();
          blocking::push_to_interested(*ctx_, owner, "unblock", items);
          if (roster_ != nullptr) {
            blocking::send_presence_to_unblocked(*ctx_, *roster_, blocklist_, owner, *removed);
          }
        });
  }

  ModuleContext* ctx_ = nullptr;
  BlocklistStore blocklist_{StoreId{}};  // opened in start()
  // The roster module's service (null when rosters are not enabled): who sees the owner's
  // presence, and requests to withdraw.
  const roster::RosterService* roster_ = nullptr;
  std::size_t max_items_ = 1000;
};

}  // namespace
}  // namespace tern::modules

TERN_MODULE(Blocking, blocking, "XEP-0191 blocking command: blocklist, pushes and enforcement",
            "roster?")
