// SPDX-License-Identifier: MIT
// BlocklistStore: every account's blocklist (XEP-0191), in the module's per-account store
// "blocklist" (deleted with the account). Each call takes the transaction it runs in.
//
// Keys: "owner\0item" → a one-byte record (version 1; nothing else yet). The owner is a prepared
// bare JID, which cannot contain NUL, so one prefix scan reads exactly one blocklist. An item is a
// prepared JID of any form XEP-0191 §6 allows: user@domain/resource, user@domain, domain/resource
// or domain.
//
// Matching (XEP-0191 §6, as XEP-0016): a full JID item blocks only that resource; a bare JID item
// blocks every resource of the account; domain/resource blocks only that address; a domain
// blocks the domain itself, everyone at it, and every address at any of its subdomains.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tern/module_api.h"
#include "xmpp/jid.h"

namespace tern::modules::blocking {

class BlocklistStore {
 public:
  // The store the module opened: ctx.open_store("blocklist").
  explicit BlocklistStore(StoreId store) : store_(store) {}

  // The items of `owner`'s blocklist, in key order.
  std::vector<std::string> list(const ReadTxn& txn, std::string_view owner) const;
  std::size_t count(const ReadTxn& txn, std::string_view owner) const;
  // Whether `item` itself is on the blocklist (no matching).
  bool contains(const ReadTxn& txn, std::string_view owner, std::string_view item) const;
  // Whether some item of `owner`'s blocklist blocks `address` (matching above).
  bool is_blocked(const ReadTxn& txn, std::string_view owner, const xmpp::Jid& address) const;

  // Adds a prepared JID (present already is fine).
  Result<void, StoreError> add(WriteTxn& txn, std::string_view owner, std::string_view item) const;
  // Removes one item; returns whether it was there.
  Result<bool, StoreError> remove(WriteTxn& txn, std::string_view owner,
                                  std::string_view item) const;
  // Deletes the whole blocklist (unblock all).
  Result<void, StoreError> remove_all(WriteTxn& txn, std::string_view owner) const;

 private:
  StoreId store_;
};

// Whether the blocklist item `item` blocks `address` (the matching above, without a store).
bool blocklist_item_blocks(const xmpp::Jid& item, const xmpp::Jid& address);

}  // namespace tern::modules::blocking
