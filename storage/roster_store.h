// SPDX-License-Identifier: MIT
// RosterStore: every account's roster (RFC 6121 §2) with its subscription states (§3) and a
// version counter for roster versioning (§2.6). Stateless over the Roster database, like
// AccountStore: each call takes the transaction it runs in.
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

#include "storage/env.h"

namespace tern::storage {

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
  // Every item of `owner`'s roster, hidden ones included, in contact order.
  static std::vector<RosterItem> items(const ReadTxn& txn, std::string_view owner);
  static std::optional<RosterItem> get(const ReadTxn& txn, std::string_view owner,
                                       std::string_view contact);
  // 0 for a roster never written.
  static std::uint64_t version(const ReadTxn& txn, std::string_view owner);

  // Stores `item` and bumps the roster's version; returns the new version.
  static Result<std::uint64_t, StorageError> put(WriteTxn& txn, std::string_view owner,
                                                 const RosterItem& item);
  // Removes the item (absent is fine) and bumps the version; returns the new version.
  static Result<std::uint64_t, StorageError> remove(WriteTxn& txn, std::string_view owner,
                                                    std::string_view contact);
  // Deletes the whole roster (the account is being deleted).
  static Result<void, StorageError> remove_all(WriteTxn& txn, std::string_view owner);
};

}  // namespace tern::storage
