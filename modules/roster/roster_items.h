// SPDX-License-Identifier: MIT
// The roster module's helpers: roster items as XML (RFC 6121 §2.1.2), roster pushes to the
// owner's interested resources (§2.1.6), and the store write that applies a change to one item
// and reports the result back on the worker (roster sets, and subscription changes other modules
// ask for through the RosterService).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "modules/roster/roster_store.h"
#include "tern/module_api.h"

namespace tern::modules::roster {

// <item jid=… name=… subscription=… ask=… approved=…><group/>…</item> inside `query`.
void append_item(xmpp::Element& query, const RosterItem& item);

// Sends a roster push of `item` (or, with `removed`, of subscription='remove') to every
// interested resource of `owner`.
void push_item(ModuleContext& ctx, const std::string& owner, const RosterItem& item,
               std::uint64_t version, bool removed = false);

// Whether the owner would see the same item in both (pending_in is not shown, RFC 6121 §3.1.3):
// a change to hidden state needs no roster push.
bool shows_the_same(const RosterItem& a, const RosterItem& b);

// An item none of whose fields matters any more: it is deleted rather than stored.
bool is_empty(const RosterItem& item);

// The result of changing one item in a store write.
struct ItemChange {
  bool ok = false;                   // the write committed
  std::optional<RosterItem> before;  // the stored item before, if any
  RosterItem after;                  // the item after (it was deleted if is_empty(after))
  std::uint64_t version = 0;         // the roster version after the change (0: unchanged)
  bool refused = false;              // `admit` refused it: nothing was written
};

// Decides, inside the write and so after every earlier write of the same roster, whether a change
// may be made: limits are checked here, never against a read taken before the write (sets
// pipelined by a client would all pass such a check).
using AdmitChange =
    std::function<bool(WriteTxn& txn, const RosterItem& before, const RosterItem& after)>;

// Runs `edit` on owner's item for `contact` (a new invisible item if there is none) in a store
// write; if `edit` returns true and `admit` (if any) agrees, the item is stored (or deleted when
// empty) and the version bumped. `done` gets the change on this worker.
void change_item(ModuleContext& ctx, const RosterStore& store, const std::string& owner,
                 const std::string& contact, std::function<bool(RosterItem&)> edit,
                 std::function<void(const ItemChange&)> done, AdmitChange admit = {});

}  // namespace tern::modules::roster
