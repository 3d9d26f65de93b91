// SPDX-License-Identifier: MIT
// RosterStore: every account's roster (RFC 6121 §2) with its subscription states (§3) and a
// version counter for roster versioning (§2.6), in the per-account store "roster" (deleted with
// the account). Each call takes the transaction it runs in. Only the roster module opens it;
// other modules go through its RosterService.
//
// Keys: "owner\0contact" → item record; "owner\0" → the roster's version (u64). Both JIDs are
// prepared bare JIDs, which cannot contain NUL, so one prefix scan reads exactly one roster.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules::roster {

std::string_view subscription_name(Subscription s);

// The record format (version 1): u8 version, u8 subscription, u8 flags (1 ask, 2 pending_in,
// 4 approved, 8 visible), str16 name, u16 group count, str16 per group. Records carry no JID:
// it is in the key.
std::string encode_roster_item(const RosterItem& item);
std::optional<RosterItem> decode_roster_item(std::string_view contact, std::string_view record);

class RosterStore {
 public:
  // The store a module opened: ctx.open_store("roster").
  explicit RosterStore(StoreId store) : store_(store) {}

  // Every item of `owner`'s roster, hidden ones included, in contact order.
  std::vector<RosterItem> items(const ReadTxn& txn, std::string_view owner) const;
  std::optional<RosterItem> get(const ReadTxn& txn, std::string_view owner,
                                std::string_view contact) const;
  // 0 for a roster never written.
  std::uint64_t version(const ReadTxn& txn, std::string_view owner) const;

  // Stores `item` and bumps the roster's version; returns the new version.
  Result<std::uint64_t, StoreError> put(WriteTxn& txn, std::string_view owner,
                                        const RosterItem& item) const;
  // Removes the item (absent is fine) and bumps the version; returns the new version.
  Result<std::uint64_t, StoreError> remove(WriteTxn& txn, std::string_view owner,
                                           std::string_view contact) const;

 private:
  StoreId store_;
};

}  // namespace tern::modules::roster
