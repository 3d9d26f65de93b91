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

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "storage/commit_faults.h"
#include "tern/store.h"
#include "xmpp/result.h"

namespace tern::storage {

using StorageError = ::tern::StoreError;
using ::tern::MappingLock;
using ::tern::ReadTxn;
using ::tern::StoreId;
using ::tern::StoreScope;
using ::tern::WriteTxn;

// The server's own databases, always open; the stores modules open by name follow them
// (Environment::open_store).
struct Db {
  static constexpr StoreId Meta{0};
  static constexpr StoreId Accounts{1};
};
inline constexpr std::size_t kDatabaseCount = 2;
// The most databases one store holds (LMDB's maxdbs): the server's and every module's.
inline constexpr std::size_t kMaxStores = 64;

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

  // The store named `name`, created if new, recorded in the store's meta data with its scope (so
  // that deleting an account, here or in ternctl, finds every per-account store). Thread-safe;
  // the same name gives the same StoreId. Fails when kMaxStores are open, or the name is used
  // with another scope.
  Result<StoreId, StorageError> open_store(std::string_view name, StoreScope scope);
  // Deletes every record of `bare_jid` in every per-account store the store has ever recorded.
  Result<void, StorageError> delete_account_records(WriteTxn& txn, std::string_view bare_jid) const;

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
  std::chrono::steady_clock::time_point next_grow_try_{};  // grow_map's back-off (writer only)
  // Held shared by every open transaction, exclusively while the map is resized. libstdc++ builds
  // it on a glibc rwlock, which prefers readers: a thread may open a second read transaction while
  // a resize waits, without deadlock; the resize waits for a moment between reads.
  mutable RemapLock remap_;
  std::shared_ptr<CommitFaults> faults_;
  MDB_env* env_ = nullptr;
  // kDatabaseCount fixed ones, then the opened stores; written only under stores_mutex_, before
  // the StoreId that indexes a new entry is handed out.
  MDB_dbi dbis_[kMaxStores] = {};
  mutable std::mutex stores_mutex_;
  std::size_t store_count_ = kDatabaseCount;
  struct OpenStore {
    StoreId id;
    StoreScope scope;
  };
  std::map<std::string, OpenStore, std::less<>> stores_;  // by name
  // At open: the fixed per-account databases recorded, and every recorded store opened.
  Result<void, StorageError> open_recorded_stores(MDB_txn* txn);
  Result<StoreId, StorageError> open_store_in(MDB_txn* txn, std::string_view name,
                                              StoreScope scope);
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
