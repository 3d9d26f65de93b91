// SPDX-License-Identifier: MIT
// The store as modules see it (through tern/module_api.h): named stores, read and write
// transactions over them, and errors. No LMDB type appears here; the transactions are LMDB's,
// implemented in storage/env.cpp, which opens and commits them.
//
// A store is one LMDB database of the server's store. A module opens the stores it declares by
// name (ModuleContext::open_store) and gets a StoreId for them. Keys and values are bytes; a
// per-account store keys every record under "bare JID \0 ...", so that deleting an account deletes
// them all, in ternd and in ternctl alike, without the module being asked.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include "tern/remap_lock.h"
#include "xmpp/result.h"

typedef struct MDB_txn MDB_txn;  // NOLINT(modernize-use-using): LMDB's own declaration
typedef unsigned int MDB_dbi;    // NOLINT(modernize-use-using)

namespace tern::storage {
class Environment;
class Writer;
}  // namespace tern::storage

namespace tern {

struct StoreError {
  int code = 0;  // an LMDB or errno code; 0 for Tern's own errors (bad record, …)
  std::string message;
  // The store ran out of room: its disk (ENOSPC, EDQUOT) or its map (MDB_MAP_FULL).
  bool out_of_space() const;
};

// Which store of the server's: a small index, the same on every worker. The default is no store
// at all (a module that forgot open_store reads nothing and writes nothing, with an error).
struct StoreId {
  static constexpr std::uint16_t kNone = 0xFFFF;
  std::uint16_t index = kNone;
  bool valid() const { return index != kNone; }
  friend bool operator==(StoreId, StoreId) = default;
};

// Whose records a store holds.
enum class StoreScope : std::uint8_t {
  // Every key starts with an account's bare JID and "\0": deleting the account deletes them.
  PerAccount,
  // Anything else (the module deletes what it must itself).
  Global,
};

// Held by an open transaction: the store's map is not moved meanwhile (storage/env.h).
using MappingLock = std::shared_lock<RemapLock>;

// A read transaction: a consistent snapshot that waits for no writer (only, briefly, for a map
// resize: it holds the mapping shared), fine on an event loop. Values it returns
// are valid until it ends.
class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&&) = delete;
  ~ReadTxn();

  // The value stored under `key`, valid until the transaction ends.
  std::optional<std::string_view> get(StoreId store, std::string_view key) const;
  // Calls fn(key, value) for every entry whose key starts with `prefix`, in key order, until fn
  // returns false.
  void scan(StoreId store, std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // The same, starting at the first key not below `from` (which should start with `prefix`).
  void scan_from(StoreId store, std::string_view prefix, std::string_view from,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Backwards: every entry whose key starts with `prefix` and is below `before` (empty: from the
  // last entry of the prefix), in descending key order, until fn returns false. (Message
  // archives read their newest entries first.)
  void scan_back(StoreId store, std::string_view prefix, std::string_view before,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const;

 protected:
  friend class storage::Environment;
  // `mapping` keeps the map from being moved while the transaction is open (none for a nested
  // transaction: its parent holds it). Released after the transaction ends.
  ReadTxn(MDB_txn* txn, const MDB_dbi* dbis, MappingLock mapping = {})
      : mapping_(std::move(mapping)), txn_(txn), dbis_(dbis) {}
  MappingLock mapping_;  // first: destroyed last
  MDB_txn* txn_;
  const MDB_dbi* dbis_;
};

// A write transaction: what a module's write operation gets, on the writer thread.
class WriteTxn : public ReadTxn {
 public:
  Result<void, StoreError> put(StoreId store, std::string_view key, std::string_view value);
  // Deleting an absent key is not an error; returns whether it existed.
  Result<bool, StoreError> remove(StoreId store, std::string_view key);
  // Deletes every key starting with `prefix`.
  Result<void, StoreError> remove_prefix(StoreId store, std::string_view prefix);

 private:
  friend class storage::Environment;
  friend class storage::Writer;
  WriteTxn(MDB_txn* txn, const MDB_dbi* dbis, MappingLock mapping = {})
      : ReadTxn(txn, dbis, std::move(mapping)) {}
  MDB_txn* release() { return std::exchange(txn_, nullptr); }
};

}  // namespace tern
