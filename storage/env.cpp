// SPDX-License-Identifier: MIT
// LMDB environment set-up and transaction wrappers.
#include "storage/env.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <mutex>
#include <system_error>
#include <vector>

#include "log/logger.h"

namespace tern::storage {
namespace {

constexpr std::array<const char*, kDatabaseCount> kDatabaseNames = {"meta", "accounts"};

MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace

StoreUse Environment::use() const {
  StoreUse use;
  struct statvfs fs {};
  if (::statvfs(directory_.c_str(), &fs) == 0) {
    use.disk_free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    use.disk_size = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  MDB_envinfo info{};
  MDB_stat stat{};
  MappingLock mapping = lock_mapping();  // the meta pages are in the map: not while it moves
  if (mdb_env_info(env_, &info) == MDB_SUCCESS && mdb_env_stat(env_, &stat) == MDB_SUCCESS) {
    use.map_size = info.me_mapsize;
    use.map_limit = std::max<std::uint64_t>(info.me_mapsize, max_map_size_);
    use.map_used = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  }
  return use;
}

bool Environment::short_of_room() const {
  constexpr std::uint64_t kFewMiB = std::uint64_t{4} << 20;
  return use().room() < kFewMiB;
}

namespace {

// What an operator reads when ternd cannot open its store: the file, what went wrong and what to
// do. ternd stops before it listens; it never runs half-started.
StorageError cannot_open(int rc, const std::string& directory) {
  std::string file = directory + "/data.mdb";
  std::string advice;
  switch (rc) {
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      advice = file +
               " is not a Tern store or is damaged: restore it from a backup, or move it "
               "away to start with an empty store";
      break;
    case MDB_VERSION_MISMATCH:
      advice = file + " was written by another LMDB version: open it with the Tern that wrote it";
      break;
    case EACCES:
    case EPERM:
      advice = "ternd cannot read or write " + file + ": check the owner and mode of " + directory;
      break;
    case ENOSPC:
      advice = "no room to open " + file + ": free space on its disk";
      break;
    default:
      advice = "cannot open " + file;
      break;
  }
  return StorageError{rc, "opening store " + directory + ": " + mdb_strerror(rc) + ". " + advice};
}

}  // namespace

Result<void, StorageError> check_format(MDB_txn* txn, MDB_dbi meta, const std::string& directory) {
  MDB_val key{kFormatKey.size(), const_cast<char*>(kFormatKey.data())};
  MDB_val value{};
  int rc = mdb_get(txn, meta, &key, &value);
  if (rc == MDB_NOTFOUND) {  // a new store, or one from before formats were recorded
    std::string text = std::to_string(kStoreFormat);
    MDB_val written{text.size(), text.data()};
    rc = mdb_put(txn, meta, &key, &written, 0);
    return rc == MDB_SUCCESS ? Result<void, StorageError>{}
                             : Err(lmdb_error(rc, "recording the store's format"));
  }
  if (rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "reading the store's format"));
  }
  std::string_view text(static_cast<const char*>(value.mv_data), value.mv_size);
  unsigned format = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), format);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Err(StorageError{0, "store " + directory + "/data.mdb records an unreadable format '" +
                                   std::string(text) + "': restore it from a backup"});
  }
  if (format > kStoreFormat) {
    return Err(StorageError{
        0, "store " + directory + "/data.mdb has format " + std::to_string(format) +
               ", newer than this ternd reads (" + std::to_string(kStoreFormat) +
               "): run the Tern that wrote it, or restore a backup made with this one"});
  }
  return {};
}

StorageError lmdb_error(int rc, std::string_view doing) {
  return StorageError{rc, std::string(doing) + ": " + mdb_strerror(rc)};
}

}  // namespace tern::storage

// The transactions modules see (tern/store.h).
namespace tern {

bool StoreError::out_of_space() const {
  return code == ENOSPC || code == EDQUOT || code == MDB_MAP_FULL;
}

ReadTxn::ReadTxn(ReadTxn&& other) noexcept
    : mapping_(std::move(other.mapping_)),
      txn_(std::exchange(other.txn_, nullptr)),
      dbis_(other.dbis_) {}

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) {
    mdb_txn_abort(txn_);  // read transactions end with abort; an unfinished write is discarded
  }
}

std::optional<std::string_view> ReadTxn::get(StoreId store, std::string_view key) const {
  if (!store.valid()) {
    return std::nullopt;
  }
  MDB_val k = storage::as_val(key);
  MDB_val v;
  if (mdb_get(txn_, dbis_[store.index], &k, &v) != MDB_SUCCESS) {
    return std::nullopt;
  }
  return storage::as_view(v);
}

void ReadTxn::scan(StoreId store, std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  scan_from(store, prefix, prefix, fn);
}

void ReadTxn::scan_from(StoreId store, std::string_view prefix, std::string_view from,
                        const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (!store.valid()) {
    return;
  }
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn_, dbis_[store.index], &cursor) != MDB_SUCCESS) {
    return;
  }
  MDB_val k = storage::as_val(from);
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS && storage::as_view(k).starts_with(prefix) &&
         fn(storage::as_view(k), storage::as_view(v))) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
}

void ReadTxn::scan_back(StoreId store, std::string_view prefix, std::string_view before,
                        const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (!store.valid()) {
    return;
  }
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn_, dbis_[store.index], &cursor) != MDB_SUCCESS) {
    return;
  }
  // Start at the first key not below the bound (the prefix's end when none is given: the prefix
  // with 0xFF appended sorts after every key under it that a record layout here produces), then
  // step back.
  std::string bound(before.empty() ? prefix.size() + 8 : before.size(), '\xFF');
  std::string_view start = before.empty() ? prefix : before;
  std::copy(start.begin(), start.end(), bound.begin());
  MDB_val k = storage::as_val(bound);
  MDB_val v;
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  rc = rc == MDB_SUCCESS ? mdb_cursor_get(cursor, &k, &v, MDB_PREV)
                         : mdb_cursor_get(cursor, &k, &v, MDB_LAST);
  while (rc == MDB_SUCCESS && storage::as_view(k).starts_with(prefix) &&
         fn(storage::as_view(k), storage::as_view(v))) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV);
  }
  mdb_cursor_close(cursor);
}

Result<void, StoreError> WriteTxn::put(StoreId store, std::string_view key,
                                       std::string_view value) {
  if (!store.valid()) {
    return Err(StoreError{0, "put: no store (open_store first)"});
  }
  MDB_val k = storage::as_val(key);
  MDB_val v = storage::as_val(value);
  if (int rc = mdb_put(txn_, dbis_[store.index], &k, &v, 0); rc != MDB_SUCCESS) {
    return Err(storage::lmdb_error(rc, "put"));
  }
  return {};
}

Result<bool, StoreError> WriteTxn::remove(StoreId store, std::string_view key) {
  if (!store.valid()) {
    return Err(StoreError{0, "delete: no store (open_store first)"});
  }
  MDB_val k = storage::as_val(key);
  int rc = mdb_del(txn_, dbis_[store.index], &k, nullptr);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  if (rc != MDB_SUCCESS) {
    return Err(storage::lmdb_error(rc, "delete"));
  }
  return true;
}

Result<void, StoreError> WriteTxn::remove_prefix(StoreId store, std::string_view prefix) {
  std::vector<std::string> keys;
  scan(store, prefix, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  });
  for (const std::string& key : keys) {
    if (auto removed = remove(store, key); !removed) {
      return Err(removed.error());
    }
  }
  return {};
}

}  // namespace tern

namespace tern::storage {

Result<std::unique_ptr<Environment>, StorageError> Environment::open(const std::string& directory,
                                                                     const EnvOptions& options) {
  // Others may pass through (0711) but not list it: the database files are 0600, and the public
  // certificate under certs/ stays readable for users who must trust it.
  if (::mkdir(directory.c_str(), 0711) != 0 && errno != EEXIST) {
    int error = errno;
    return Err(StorageError{
        error, "cannot create " + directory + ": " + std::generic_category().message(error)});
  }
  std::unique_ptr<Environment> env(new Environment());
  env->directory_ = directory;
  env->faults_ = options.faults;
  env->max_map_size_ = options.max_map_size;
  // No map size before opening: LMDB takes the one the store records (what it last grew to, here
  // or in another process); options.map_size is set after, if larger.
  int rc = mdb_env_create(&env->env_);
  if (rc == MDB_SUCCESS) {
    rc = mdb_env_set_maxdbs(env->env_, kMaxStores);
  }
  if (rc == MDB_SUCCESS) {
    rc = mdb_env_set_maxreaders(env->env_, options.max_readers);
  }
  if (rc == MDB_SUCCESS) {
    // MDB_NOTLS: a read transaction is not tied to the thread that began it (workers hand reads
    // to callbacks). Syncs stay on: a commit is durable when it returns.
    rc = mdb_env_open(env->env_, directory.c_str(), MDB_NOTLS, 0600);
  }
  if (rc != MDB_SUCCESS) {
    return Err(cannot_open(rc, directory));
  }
  MDB_envinfo info{};
  if ((rc = mdb_env_info(env->env_, &info)) == MDB_SUCCESS && info.me_mapsize < options.map_size) {
    rc = mdb_env_set_mapsize(env->env_, options.map_size);  // no transaction is open yet
  }
  if (rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "setting the store's map size"));
  }
  MDB_txn* txn = nullptr;
  if ((rc = mdb_txn_begin(env->env_, nullptr, 0, &txn)) != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "opening databases"));
  }
  for (std::size_t i = 0; i < kDatabaseCount; ++i) {
    if ((rc = mdb_dbi_open(txn, kDatabaseNames[i], MDB_CREATE, &env->dbis_[i])) != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return Err(lmdb_error(rc, std::string("opening database ") + kDatabaseNames[i]));
    }
  }
  if (auto format = check_format(txn, env->dbis_[Db::Meta.index], directory); !format) {
    mdb_txn_abort(txn);
    return Err(format.error());
  }
  if (auto recorded = env->open_recorded_stores(txn); !recorded) {
    mdb_txn_abort(txn);
    return Err(recorded.error());
  }
  if ((rc = mdb_txn_commit(txn)) != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "creating databases"));
  }
  return env;
}

namespace {

constexpr std::string_view kStorePrefix = "store:";
constexpr std::string_view kPerAccount = "per-account";
constexpr std::string_view kGlobal = "global";

std::string_view scope_name(StoreScope scope) {
  return scope == StoreScope::PerAccount ? kPerAccount : kGlobal;
}

}  // namespace

Result<void, StorageError> Environment::open_recorded_stores(MDB_txn* txn) {
  const MDB_dbi meta = dbis_[Db::Meta.index];
  // Stores of modules that were once opened here, by stores from before stores were recorded:
  // per-account if they exist.
  for (std::string_view legacy : {"roster", "blocklist", "push", "offline"}) {
    MDB_dbi dbi = 0;
    if (mdb_dbi_open(txn, std::string(legacy).c_str(), 0, &dbi) == MDB_SUCCESS) {
      std::string key = std::string(kStorePrefix) + std::string(legacy);
      MDB_val k = as_val(key);
      MDB_val v = as_val(kPerAccount);
      if (int rc = mdb_put(txn, meta, &k, &v, MDB_NOOVERWRITE);
          rc != MDB_SUCCESS && rc != MDB_KEYEXIST) {
        return Err(lmdb_error(rc, "recording the store " + key));
      }
    }
  }
  // Every store a module ever opened: so that deleting an account (ternctl too) finds them all.
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, meta, &cursor); rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "reading the recorded stores"));
  }
  std::vector<std::pair<std::string, StoreScope>> recorded;
  MDB_val k = as_val(kStorePrefix);
  MDB_val v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
       rc == MDB_SUCCESS && as_view(k).starts_with(kStorePrefix);
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::string name(as_view(k).substr(kStorePrefix.size()));
    if (!stores_.contains(name)) {
      recorded.emplace_back(
          std::move(name), as_view(v) == kPerAccount ? StoreScope::PerAccount : StoreScope::Global);
    }
  }
  mdb_cursor_close(cursor);
  for (auto& [name, scope] : recorded) {
    if (auto opened = open_store_in(txn, name, scope); !opened) {
      return Err(opened.error());
    }
  }
  return {};
}

Result<StoreId, StorageError> Environment::open_store_in(MDB_txn* txn, std::string_view name,
                                                         StoreScope scope) {
  if (store_count_ == kMaxStores) {
    return Err(StorageError{0, "cannot open store '" + std::string(name) + "': " +
                                   std::to_string(kMaxStores) + " stores are open already"});
  }
  const std::string key = std::string(kStorePrefix) + std::string(name);
  MDB_dbi dbi = 0;
  MDB_val k = as_val(key);
  MDB_val v = as_val(scope_name(scope));
  int rc = mdb_dbi_open(txn, std::string(name).c_str(), MDB_CREATE, &dbi);
  MDB_val recorded{};
  if (rc == MDB_SUCCESS && (mdb_get(txn, dbis_[Db::Meta.index], &k, &recorded) != MDB_SUCCESS ||
                            as_view(recorded) != as_view(v))) {
    rc = mdb_put(txn, dbis_[Db::Meta.index], &k, &v, 0);  // recorded once: opening writes nothing
  }
  if (rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "opening store " + std::string(name)));
  }
  const StoreId id{static_cast<std::uint16_t>(store_count_)};
  dbis_[store_count_++] = dbi;
  stores_.emplace(std::string(name), OpenStore{id, scope});
  return id;
}

Result<StoreId, StorageError> Environment::open_store(std::string_view name, StoreScope scope) {
  if (std::find(kDatabaseNames.begin(), kDatabaseNames.end(), name) != kDatabaseNames.end() ||
      name.empty()) {
    std::string why(1, '\'');  // built by appending: GCC 12 -O3 misreads "'" + string (-Wrestrict)
    why.append(name).append("' is not a name a store may have");
    return Err(StorageError{0, std::move(why)});
  }
  auto known = [&]() -> std::optional<Result<StoreId, StorageError>> {  // under stores_mutex_
    auto it = stores_.find(name);
    if (it == stores_.end()) {
      return std::nullopt;
    }
    if (it->second.scope != scope) {
      return Result<StoreId, StorageError>(Err(StorageError{
          0, "store '" + std::string(name) + "' is " + std::string(scope_name(it->second.scope)) +
                 ", not " + std::string(scope_name(scope))}));
    }
    return Result<StoreId, StorageError>(it->second.id);
  };
  {
    std::lock_guard lock(stores_mutex_);
    if (auto found = known()) {
      return *found;
    }
  }
  // LMDB's write lock first, then stores_mutex_: the order a write transaction takes them in
  // (the writer deleting an account's records reads the stores). A module started by a reload
  // opens its store while the writer runs.
  MappingLock mapping = lock_mapping();
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "opening store " + std::string(name)));
  }
  std::lock_guard lock(stores_mutex_);
  if (auto found = known()) {  // opened by another thread meanwhile
    mdb_txn_abort(txn);
    return *found;
  }
  const std::size_t before = store_count_;
  auto opened = open_store_in(txn, name, scope);
  int rc = opened ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), MDB_SUCCESS);
  if (opened && rc != MDB_SUCCESS) {
    opened = Err(lmdb_error(rc, "opening store " + std::string(name)));
  }
  if (!opened && store_count_ != before) {  // the handle is void after an abort: forget it
    store_count_ = before;
    stores_.erase(std::string(name));
  }
  return opened;
}

Result<void, StorageError> Environment::delete_account_records(WriteTxn& txn,
                                                               std::string_view bare_jid) const {
  std::vector<StoreId> per_account;
  {
    std::lock_guard lock(stores_mutex_);
    for (const auto& [name, store] : stores_) {
      if (store.scope == StoreScope::PerAccount) {
        per_account.push_back(store.id);
      }
    }
  }
  const std::string prefix = std::string(bare_jid) + '\0';
  for (StoreId store : per_account) {
    if (auto removed = txn.remove_prefix(store, prefix); !removed) {
      return removed;
    }
  }
  return {};
}

Environment::~Environment() {
  if (env_ != nullptr) {
    mdb_env_close(env_);
  }
}

Result<ReadTxn, StorageError> Environment::read() const {
  for (bool adopted = false;; adopted = true) {
    MappingLock mapping = lock_mapping();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == MDB_SUCCESS) {
      return ReadTxn(txn, dbis_, std::move(mapping));
    }
    mapping.unlock();
    if (rc != MDB_MAP_RESIZED || adopted || !adopt_grown_map()) {
      return Err(lmdb_error(rc, "read transaction"));
    }
  }
}

Result<void, StorageError> Environment::write(
    const std::function<Result<void, StorageError>(WriteTxn&)>& fn) {
  MappingLock mapping = lock_mapping();
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &raw_txn);
  if (rc == MDB_MAP_RESIZED) {  // ternctl grew the map: adopt it and begin again
    mapping.unlock();
    adopt_grown_map();
    mapping = lock_mapping();
    rc = mdb_txn_begin(env_, nullptr, 0, &raw_txn);
  }
  if (rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "write transaction"));
  }
  WriteTxn txn(raw_txn, dbis_, std::move(mapping));
  Result<void, StorageError> result = fn(txn);
  if (!result) {
    return result;  // ~ReadTxn aborts
  }
  if (int injected = faults_ ? faults_->next() : 0; injected != 0) {
    return Err(lmdb_error(injected, "commit"));  // ~ReadTxn aborts: nothing is written
  }
  if (int rc = mdb_txn_commit(txn.release()); rc != MDB_SUCCESS) {
    return Err(lmdb_error(rc, "commit"));
  }
  return {};
}

}  // namespace tern::storage

namespace tern::storage {
namespace {

// How long a resize waits for the read transactions open at the time to end. Reads are short (a
// lookup or a slice of a queue); one that is not holds the resize off until the next try.
constexpr std::chrono::milliseconds kResizeWait{200};

const log::Logger kLog("storage");

}  // namespace

bool Environment::grow_map(bool full) {
  // After a resize had to wait for reads in vain, the next try waits a while (unless a batch
  // met a full map): the writer must not lose 200 ms per batch.
  const auto now = std::chrono::steady_clock::now();
  if (!full && now < next_grow_try_) {
    return false;
  }
  std::size_t size = 0;
  std::size_t used = 0;
  std::size_t page = 0;
  {
    MappingLock mapping = lock_mapping();  // the meta pages are in the map: not while it moves
    MDB_envinfo info{};
    MDB_stat stat{};
    if (mdb_env_info(env_, &info) != MDB_SUCCESS || mdb_env_stat(env_, &stat) != MDB_SUCCESS) {
      return false;
    }
    size = info.me_mapsize;
    page = stat.ms_psize;
    used = (info.me_last_pgno + 1) * page;
  }
  if (size >= max_map_size_ || (!full && used <= size / 4 * 3)) {
    return false;
  }
  // Double, up to the limit; LMDB wants a multiple of the page size. A limit that is not one
  // leaves a last step that rounds back to the size itself: no growth, so say so.
  std::size_t grown = std::min(size * 2, max_map_size_);
  grown -= grown % page;
  if (grown <= size) {
    return false;
  }
  if (remap_.held_shared_here()) {
    return false;  // never from inside a transaction: the resize would wait for itself
  }
  std::unique_lock resizing(remap_, std::defer_lock);
  if (!resizing.try_lock_for(kResizeWait)) {
    next_grow_try_ = now + std::chrono::seconds(1);
    kLog.debug("map.grow_deferred", "the store's map is to grow; waiting for reads to end",
               {{"map_size", size}, {"map_used", used}});
    return false;
  }
  if (int rc = mdb_env_set_mapsize(env_, grown); rc != MDB_SUCCESS) {
    kLog.error("map.grow_failed", "the store's map could not grow",
               {{"map_size", size}, {"to", grown}, {"error", mdb_strerror(rc)}});
    return false;
  }
  kLog.info("map.grown", "the store's map grew",
            {{"from", size}, {"to", grown}, {"map_used", used}, {"max_map_size", max_map_size_}});
  return true;
}

bool Environment::adopt_grown_map() const {
  if (remap_.held_shared_here()) {
    return false;  // a read inside a transaction of this thread: it would wait for itself
  }
  std::unique_lock resizing(remap_, std::defer_lock);
  if (!resizing.try_lock_for(kResizeWait)) {
    return false;
  }
  // Size 0: take the size another process set (LMDB reads it from the file).
  return mdb_env_set_mapsize(env_, 0) == MDB_SUCCESS;
}

}  // namespace tern::storage
