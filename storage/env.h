// SPDX-License-Identifier: MIT
// Environment: the LMDB environment of one Tern store (a directory), its named databases, and
// RAII read and write transactions. Reads run on any thread (MVCC); writes are serialized by LMDB
// itself, across processes too, which is what lets ternctl edit accounts while the server runs.
// Inside the server, writes go through Writer (writer.h) for group commit, and the writer grows
// the map (grow_map) before it is full. Growing remaps the file, which LMDB allows only while no
// transaction of this process is open: every transaction holds a shared lock on the mapping
// (remap_), and growing takes it exclusively, briefly.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "storage/commit_faults.h"
#include "xmpp/result.h"

namespace tern::storage {

struct StorageError {
  int code = 0;  // an LMDB or errno code; 0 for Tern's own errors (bad record, …)
  std::string message;
  // The store ran out of room: its disk (ENOSPC, EDQUOT) or its map (MDB_MAP_FULL).
  bool out_of_space() const;
};

// The named databases. Adding one: append it here and to kDatabaseNames in env.cpp.
enum class Db : std::uint8_t { Meta, Accounts, Roster, Offline, Blocklist, Push };
inline constexpr std::size_t kDatabaseCount = 6;

// Held by an open transaction: the store's map is not moved meanwhile (Environment::grow_map).
using MappingLock = std::shared_lock<std::shared_timed_mutex>;

class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&&) = delete;
  ~ReadTxn();

  // The value stored under `key`, valid until the transaction ends.
  std::optional<std::string_view> get(Db db, std::string_view key) const;
  // Calls fn(key, value) for every entry whose key starts with `prefix`, in key order, until fn
  // returns false.
  void scan(Db db, std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // The same, starting at the first key not below `from` (which should start with `prefix`).
  void scan_from(Db db, std::string_view prefix, std::string_view from,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const;

 protected:
  friend class Environment;
  // `mapping` keeps the map from being moved while the transaction is open (none for a nested
  // transaction: its parent holds it). Released after the transaction ends.
  ReadTxn(MDB_txn* txn, const MDB_dbi* dbis, MappingLock mapping = {})
      : mapping_(std::move(mapping)), txn_(txn), dbis_(dbis) {}
  MappingLock mapping_;  // first: destroyed last
  MDB_txn* txn_;
  const MDB_dbi* dbis_;
};

class WriteTxn : public ReadTxn {
 public:
  Result<void, StorageError> put(Db db, std::string_view key, std::string_view value);
  // Deleting an absent key is not an error; returns whether it existed.
  Result<bool, StorageError> remove(Db db, std::string_view key);

 private:
  friend class Environment;
  friend class Writer;
  WriteTxn(MDB_txn* txn, const MDB_dbi* dbis, MappingLock mapping = {})
      : ReadTxn(txn, dbis, std::move(mapping)) {}
  MDB_txn* release() { return std::exchange(txn_, nullptr); }
};

struct EnvOptions {
  // The map at open (or the size the store records, if larger: what it grew to before): the most
  // the store may hold until the map grows. LMDB maps it as virtual memory and only uses disk for
  // what is written, so it can be large.
  std::size_t map_size = std::size_t{16} << 30;
  // The most the map may grow to (grow_map); at or below map_size, it never grows.
  std::size_t max_map_size = 0;
  // Concurrent read transactions (one per worker thread plus tools).
  unsigned max_readers = 256;
  // Commits that fail on purpose (tests only; commit_faults.h). Null: none.
  std::shared_ptr<CommitFaults> faults;
};

// How much room the store has: on its filesystem and in its map (EnvOptions::map_size).
struct StoreUse {
  std::uint64_t disk_free = 0;  // bytes an unprivileged writer may still use
  std::uint64_t disk_size = 0;
  std::uint64_t map_size = 0;
  std::uint64_t map_limit = 0;  // what the map may grow to (EnvOptions::max_map_size)
  std::uint64_t map_used = 0;   // pages in use (including free pages LMDB will reuse)
  // The smaller of what is left on the disk and in the map as far as it may grow.
  std::uint64_t room() const {
    std::uint64_t map_left = map_limit > map_used ? map_limit - map_used : 0;
    return disk_free < map_left ? disk_free : map_left;
  }
};

class Environment {
 public:
  // Creates the directory if needed and opens (or creates) every named database.
  static Result<std::unique_ptr<Environment>, StorageError> open(const std::string& directory,
                                                                 const EnvOptions& options = {});
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  Result<ReadTxn, StorageError> read() const;
  // Runs `fn` in a write transaction and commits (durably) if it succeeds; aborts otherwise.
  Result<void, StorageError> write(const std::function<Result<void, StorageError>(WriteTxn&)>& fn);

  MDB_env* raw() const { return env_; }
  const MDB_dbi* dbis() const { return dbis_; }

  // Thread-safe; a system call and an LMDB lookup, no transaction.
  StoreUse use() const;

  // Called by the one writing thread, with no transaction of its own open. Doubles the map (up to
  // max_map_size) when more than three quarters of it is used, or whenever `full` (a commit just
  // failed with MDB_MAP_FULL). Waits a moment for open read transactions to end; if they do not,
  // gives up until the next call. Returns whether the map grew.
  bool grow_map(bool full = false);
  // Whether a failed commit is better explained by a lack of room than by a fault: LMDB reports a
  // short write on a full disk as EIO. True when less than a few MiB is left (StoreUse::room).
  bool short_of_room() const;

 private:
  Environment() = default;
  // The map was grown by another process (ternctl): adopt its size. False if open transactions
  // kept it from being done at once.
  bool adopt_grown_map() const;
  MappingLock lock_mapping() const { return MappingLock(remap_); }

  std::string directory_;
  std::size_t max_map_size_ = 0;
  // Held shared by every open transaction, exclusively while the map is resized. libstdc++ builds
  // it on a glibc rwlock, which prefers readers: a thread may open a second read transaction while
  // a resize waits, without deadlock; the resize waits for a moment between reads.
  mutable std::shared_timed_mutex remap_;
  std::shared_ptr<CommitFaults> faults_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[kDatabaseCount] = {};
};

// The store's on-disk format, recorded under kFormatKey in Db::Meta when a store is created and
// checked at every open: a store from a newer Tern is refused, never misread.
inline constexpr unsigned kStoreFormat = 1;
inline constexpr std::string_view kFormatKey = "format";
// Records the format in a new store (or one from before formats were recorded), or refuses a
// store whose format is newer or unreadable. Part of Environment::open, exposed for tests.
Result<void, StorageError> check_format(MDB_txn* txn, MDB_dbi meta, const std::string& directory);

// An LMDB return code as a StorageError with the library's message and what was being done.
StorageError lmdb_error(int rc, std::string_view doing);

}  // namespace tern::storage
