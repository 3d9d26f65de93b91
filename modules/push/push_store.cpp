// SPDX-License-Identifier: MIT
// Push registration keys and records (layout in push_store.h).
#include "modules/push/push_store.h"

namespace tern::modules::push {
namespace {

constexpr char kRecordVersion = '\x01';

std::string owner_prefix(std::string_view owner) {
  std::string key(owner);
  key.push_back('\0');
  return key;
}

std::string app_server_prefix(std::string_view owner, std::string_view app_server) {
  std::string key = owner_prefix(owner);
  key.append(app_server);
  key.push_back('\0');
  return key;
}

// Every key under `prefix`, collected before any is deleted (no cursor survives a delete).
std::vector<std::string> keys_under(const ReadTxn& txn, StoreId store, const std::string& prefix) {
  std::vector<std::string> keys;
  txn.scan(store, prefix, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  });
  return keys;
}

Result<std::size_t, StoreError> remove_keys(WriteTxn& txn, StoreId store,
                                            const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (auto r = txn.remove(store, key); !r) {
      return Err(r.error());
    }
  }
  return keys.size();
}

}  // namespace

std::vector<PushRegistration> PushStore::list(const ReadTxn& txn, std::string_view owner) const {
  std::vector<PushRegistration> out;
  const std::string prefix = owner_prefix(owner);
  txn.scan(store_, prefix, [&](std::string_view key, std::string_view value) {
    key.remove_prefix(prefix.size());
    const auto separator = key.find('\0');
    if (separator == std::string_view::npos || value.empty() || value[0] != kRecordVersion) {
      return true;  // not a record this version knows: skipped, left for an operator
    }
    out.push_back({std::string(key.substr(0, separator)), std::string(key.substr(separator + 1)),
                   std::string(value.substr(1))});
    return true;
  });
  return out;
}

std::size_t PushStore::count(const ReadTxn& txn, std::string_view owner) const {
  std::size_t n = 0;
  txn.scan(store_, owner_prefix(owner), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

Result<void, StoreError> PushStore::put(WriteTxn& txn, std::string_view owner,
                                        const PushRegistration& registration) const {
  if (registration.app_server.empty() || registration.node.empty()) {
    return Err(StoreError{0, "push registration without an app server or node"});
  }
  std::string value(1, kRecordVersion);
  value += registration.publish_options;
  return txn.put(store_, app_server_prefix(owner, registration.app_server) + registration.node,
                 value);
}

Result<std::size_t, StoreError> PushStore::remove(WriteTxn& txn, std::string_view owner,
                                                  std::string_view app_server,
                                                  std::string_view node) const {
  const std::string prefix = app_server_prefix(owner, app_server);
  if (!node.empty()) {
    auto removed = txn.remove(store_, prefix + std::string(node));
    if (!removed) {
      return Err(removed.error());
    }
    return std::size_t{*removed ? 1U : 0U};
  }
  return remove_keys(txn, store_, keys_under(txn, store_, prefix));
}

}  // namespace tern::modules::push
