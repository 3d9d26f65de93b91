// SPDX-License-Identifier: MIT
// OfflineStore: the per-account queue of messages that wait for the account's next session
// (XEP-0160), in the module's per-account store "offline" (deleted with the account).
//
// Keys: "owner\0" + 8-byte big-endian sequence number → message record; "owner\0" → the queue's
// metadata (next sequence number, message count). Big-endian numbers sort like the numbers, so a
// prefix scan reads the queue oldest first. Sequence numbers are never reused, even after the
// queue empties: a delivery that names a number (an acknowledgement) can never hit a newer
// message by accident.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::offline {

struct OfflineMessage {
  std::uint64_t sequence = 0;
  std::int64_t stamp_ms = 0;  // when the server accepted it (Unix time, ms): the XEP-0203 stamp
  std::string xml;            // the stanza as it will be delivered
  friend bool operator==(const OfflineMessage&, const OfflineMessage&) = default;
};

// The record format (version 1): u8 version, i64 stamp (u64 little endian), the XML.
std::string encode_offline_message(const OfflineMessage& message);
std::optional<OfflineMessage> decode_offline_message(std::uint64_t sequence,
                                                     std::string_view record);

class OfflineStore {
 public:
  // The store the module opened: ctx.open_store("offline").
  explicit OfflineStore(StoreId store) : store_(store) {}

  // Appends a message unless the queue already holds `quota` messages. Returns its sequence
  // number, or nullopt when over quota (nothing was written).
  Result<std::optional<std::uint64_t>, StoreError> push(WriteTxn& txn, std::string_view owner,
                                                        std::int64_t stamp_ms, std::string_view xml,
                                                        std::size_t quota) const;
  // Up to `limit` messages, oldest first.
  std::vector<OfflineMessage> read(const ReadTxn& txn, std::string_view owner,
                                   std::size_t limit = SIZE_MAX) const;
  // A slice of the queue, oldest first (a delivery in slices reads on where it stopped).
  struct Range {
    std::uint64_t after = 0;           // sequence numbers above this
    std::uint64_t until = UINT64_MAX;  // and not above this
    std::size_t max_messages = SIZE_MAX;
    std::size_t max_bytes = SIZE_MAX;  // no more once this much XML was read (at least one)
  };
  std::vector<OfflineMessage> read(const ReadTxn& txn, std::string_view owner,
                                   const Range& range) const;
  // The sequence number of the newest message ever queued for `owner` (0: none yet).
  std::uint64_t last_sequence(const ReadTxn& txn, std::string_view owner) const;
  std::size_t count(const ReadTxn& txn, std::string_view owner) const;
  // Every queue at once, for /metrics: accounts with messages waiting, messages in all, the most
  // for one account. One seek per account (its messages are skipped), not a read of each.
  struct Figures {
    std::uint64_t accounts = 0;
    std::uint64_t messages = 0;
    std::uint64_t largest = 0;
  };
  // Counts up to `max_accounts` accounts from `from` (empty: the first) into `into`; returns where
  // the next call goes on, empty at the end. In slices, each with a read transaction of its own,
  // so that no transaction stays open for the whole store.
  std::string add_figures(const ReadTxn& txn, std::string from, std::size_t max_accounts,
                          Figures& into) const;
  // Removes one message (delivered and acknowledged); false if it was not there. With
  // `only_if_stamp`, only the message queued at that time: a removal retried long after may
  // otherwise meet another message under the same number (the account deleted by ternctl and
  // made again: a new queue counts from 1).
  Result<bool, StoreError> remove(WriteTxn& txn, std::string_view owner, std::uint64_t sequence,
                                  std::optional<std::int64_t> only_if_stamp = std::nullopt) const;
  // Removes the whole queue.
  Result<void, StoreError> remove_all(WriteTxn& txn, std::string_view owner) const;

 private:
  StoreId store_;
};

}  // namespace tern::modules::offline
