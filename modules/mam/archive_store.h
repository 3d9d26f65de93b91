// SPDX-License-Identifier: MIT
// Message archives (XEP-0313) in a store, one layout for two uses: each room's archive (the
// global store "muc_archive") and each account's sync archive (the per-account store "archive",
// deleted with the account). Under one owner (a room or account bare JID) and "\0":
//   'm' seq (8 bytes, big-endian)  → the entry: time, flags, devices still waiting, with, id, XML
//   'i' id                         → seq: the XEP-0359 stanza id, for RSM paging and ids
//   'n'                            → next seq, count
//   'd' device                     → the device's slot (0-31) and when it was last seen
// and, in the global store "archive_expiry", kind time (8 bytes) owner "\0" seq → nothing: each
// kind's entries in the order they expire, so that a sweep deletes the oldest without reading
// the rest.
// Functions over transactions; the module decides when they run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/store.h"

namespace tern::modules::mam {

using Clock = std::chrono::system_clock;

enum class ArchiveKind : char { Account = 'a', Room = 'r' };

// Where an archive kind lives.
struct ArchiveStores {
  StoreId entries;  // "archive" or "muc_archive"
  StoreId expiry;   // "archive_expiry", shared by both kinds
  ArchiveKind kind;
};

struct Entry {
  std::int64_t stamp_ms = 0;
  bool queued = false;        // the offline queue will deliver it (accounts)
  bool live = false;          // first kept as a device got it live, or sent it (accounts)
  std::uint32_t waiting = 0;  // devices (slots) that have not got it yet (accounts)
  std::string with;           // the other party (accounts: bare JID; rooms: occupant JID)
  std::string id;             // its XEP-0359 stanza id
  std::string xml;            // the message as it was delivered
};

struct StoredEntry {
  std::uint64_t seq = 0;
  Entry entry;
};

// What an archive keeps at most: entries past either bound go, oldest first.
struct Retention {
  std::int64_t max_messages = 10000;
  std::chrono::seconds max_age = std::chrono::hours(24 * 7);
};

std::string entry_key(std::string_view owner, std::uint64_t seq);
std::optional<Entry> decode_entry(std::string_view value);

// Appends an entry and enforces max_messages (the oldest go); returns its seq.
Result<std::uint64_t, StoreError> append(WriteTxn& txn, const ArchiveStores& stores,
                                         std::string_view owner, const Entry& entry,
                                         const Retention& retention);
std::optional<std::uint64_t> find_id(const ReadTxn& txn, const ArchiveStores& stores,
                                     std::string_view owner, std::string_view id);
std::optional<Entry> get(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
                         std::uint64_t seq);
Result<void, StoreError> put(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                             std::uint64_t seq, const Entry& entry);
Result<void, StoreError> remove(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                                std::uint64_t seq);
// Deletes a whole archive (a destroyed room).
Result<void, StoreError> remove_all(WriteTxn& txn, const ArchiveStores& stores,
                                    std::string_view owner);
std::uint64_t count(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner);

// Entries in seq order from `from` (inclusive) upwards, or from below `before` downwards, until
// fn returns false.
void scan_up(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
             std::uint64_t from, const std::function<bool(const StoredEntry&)>& fn);
void scan_down(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
               std::uint64_t before, const std::function<bool(const StoredEntry&)>& fn);

// Deletes entries of `kind` stamped before `cutoff`, at most `limit` of them; returns how many.
// Index entries whose archive is already gone (a deleted account) are dropped too.
Result<std::size_t, StoreError> expire(WriteTxn& txn, const ArchiveStores& stores,
                                       Clock::time_point cutoff, std::size_t limit);

// An account's devices, as the sync archive knows them.
struct Device {
  std::string name;  // the resource
  std::uint8_t slot = 0;
  std::int64_t last_seen_ms = 0;
};
inline constexpr std::size_t kMaxDevices = 32;
std::vector<Device> devices(const ReadTxn& txn, const ArchiveStores& stores,
                            std::string_view owner);
// The slots of the devices seen since `since_ms`.
std::uint32_t recent_slots(const std::vector<Device>& devices, std::int64_t since_ms);
// Records that `device` was seen at `now_ms`, giving it a slot if it has none (the slot of the
// device seen longest ago when all are taken; what was waiting for that one is no longer).
Result<Device, StoreError> seen(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                                std::string_view device, std::int64_t now_ms);

}  // namespace tern::modules::mam
