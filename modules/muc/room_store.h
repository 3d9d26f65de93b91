// SPDX-License-Identifier: MIT
// Persistent rooms in the module's global store "muc":
//   'r' room                → the room's state (configuration, subject, occupant-id salt)
//   'a' room \0 bare JID    → affiliation and reason
//   'u' bare JID \0 room    → (empty): the rooms an account is affiliated with, so that deleting
//                             the account finds them without reading every room.
// Temporary rooms are never written. Functions over transactions: the module decides when.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/muc/room.h"
#include "tern/store.h"

namespace tern::modules::muc {

struct StoredRoom {
  RoomState state;
  Affiliations affiliations;
};

// A room kept in the store; nullopt when there is none (or its record is damaged).
std::optional<StoredRoom> load_room(const ReadTxn& txn, StoreId store, std::string_view room);
Result<void, StoreError> save_room_state(WriteTxn& txn, StoreId store, std::string_view room,
                                         const RoomState& state);
// Affiliation None removes the entry.
Result<void, StoreError> save_room_affiliation(WriteTxn& txn, StoreId store, std::string_view room,
                                               std::string_view jid, const AffiliationEntry& entry);
// Deletes the room's records.
Result<void, StoreError> forget_room(WriteTxn& txn, StoreId store, std::string_view room);
// Deletes the account's affiliations everywhere; returns the rooms it had one in.
Result<std::vector<std::string>, StoreError> forget_account(WriteTxn& txn, StoreId store,
                                                            std::string_view bare_jid);
// Persistent public rooms of `domain` (room JID, name), at most `limit`.
std::vector<std::pair<std::string, std::string>> public_rooms(const ReadTxn& txn, StoreId store,
                                                              std::string_view domain,
                                                              std::size_t limit);

}  // namespace tern::modules::muc
