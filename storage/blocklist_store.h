// SPDX-License-Identifier: MIT
// BlocklistStore: every account's blocklist (XEP-0191). Stateless over the Blocklist database,
// like the other stores: each call takes the transaction it runs in.
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

#include "storage/env.h"
#include "xmpp/jid.h"

namespace tern::storage {

class BlocklistStore {
 public:
  // The items of `owner`'s blocklist, in key order.
  static std::vector<std::string> list(const ReadTxn& txn, std::string_view owner);
  static std::size_t count(const ReadTxn& txn, std::string_view owner);
  // Whether `item` itself is on the blocklist (no matching).
  static bool contains(const ReadTxn& txn, std::string_view owner, std::string_view item);
  // Whether some item of `owner`'s blocklist blocks `address` (matching above).
  static bool is_blocked(const ReadTxn& txn, std::string_view owner, const xmpp::Jid& address);

  // Adds a prepared JID (present already is fine).
  static Result<void, StorageError> add(WriteTxn& txn, std::string_view owner,
                                        std::string_view item);
  // Removes one item; returns whether it was there.
  static Result<bool, StorageError> remove(WriteTxn& txn, std::string_view owner,
                                           std::string_view item);
  // Deletes the whole blocklist (unblock all, or the account is being deleted).
  static Result<void, StorageError> remove_all(WriteTxn& txn, std::string_view owner);
};

// Whether the blocklist item `item` blocks `address` (the matching above, without a store).
bool blocklist_item_blocks(const xmpp::Jid& item, const xmpp::Jid& address);

}  // namespace tern::storage
