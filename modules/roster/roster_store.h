// SPDX-License-Identifier: MIT
// RosterStore: every account's roster (RFC 6121 §2) with its subscription states (§3) and a
// version counter for roster versioning (§2.6), in the per-account store "roster" (deleted with
// the account). Each call takes the transaction it runs in. The presence, blocking and register
// modules open the same store to read and change rosters (a roster service is to replace that).
//
// Keys: "owner\0contact" → item record; "owner\0" → the roster's version (u64). Both JIDs are
// prepared bare JIDs, which cannot contain NUL, so one prefix scan reads exactly one roster.
//
// An item can exist without being shown to the owner (visible == false): it only remembers an
// inbound subscription request that waits for the owner's answer (RFC 6121 §3.1.3 asks the
// server to keep it until then, even across restarts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::roster {

// RFC 6121 §2.1.2.5: whose presence each side sees. To: the owner sees the contact's; From: the
// contact sees the owner's.
enum class Subscription : std::uint8_t { None, To, From, Both };

std::string_view subscription_name(Subscription s);
bool has_to(Subscription s);    // To or Both
bool has_from(Subscription s);  // From or Both

struct RosterItem {
  std::string jid;  // the contact's bare JID
  std::string name;
  std::vector<std::string> groups;
  Subscription subscription = Subscription::None;
  bool ask = false;         // pending out: the owner asked to subscribe (ask='subscribe')
  bool pending_in = false;  // the contact asked to subscribe; the owner has not answered
  bool approved = false;    // the owner pre-approved the contact's request (§3.4)
  bool visible = true;      // part of the roster the owner sees (see above)

  friend bool operator==(const RosterItem&, const RosterItem&) = default;
};

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
