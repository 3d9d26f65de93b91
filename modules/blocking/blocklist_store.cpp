// SPDX-License-Identifier: MIT
// Blocklist keys and XEP-0191 matching (layout and rules in blocklist_store.h).
#include "modules/blocking/blocklist_store.h"

#include <algorithm>

namespace tern::modules::blocking {
namespace {

// Every item's value: a record version, so that later versions can attach data (a comment, when
// it was blocked) without a migration. Not empty: that would hand LMDB a null data pointer.
constexpr std::string_view kItemRecord = "\x01";

std::string blocklist_prefix(std::string_view owner) {
  std::string key(owner);
  key.push_back('\0');
  return key;
}

// An IP literal has no parent domains: "[::1]", or only digits and dots (no top-level domain is
// all digits, RFC 3696 §2).
bool is_ip_literal(std::string_view domain) {
  return domain.starts_with('[') || std::all_of(domain.begin(), domain.end(), [](char c) {
           return c == '.' || (c >= '0' && c <= '9');
         });
}

// Every item that blocks `address`, most specific first: the address itself, its bare JID, its
// domain and the domain's parents. Views into `address`; duplicates are possible (harmless).
std::vector<std::string_view> items_blocking(const xmpp::Jid& address) {
  std::vector<std::string_view> items{address.full()};
  if (address.has_resource()) {
    items.push_back(address.bare_view());
  }
  std::string_view domain = address.domain();
  items.push_back(domain);
  if (!is_ip_literal(domain)) {
    for (std::size_t dot = domain.find('.'); dot != std::string_view::npos;
         dot = domain.find('.', dot + 1)) {
      items.push_back(domain.substr(dot + 1));
    }
  }
  return items;
}

}  // namespace

bool blocklist_item_blocks(const xmpp::Jid& item, const xmpp::Jid& address) {
  std::vector<std::string_view> items = items_blocking(address);
  return std::find(items.begin(), items.end(), item.full()) != items.end();
}

std::vector<std::string> BlocklistStore::list(const ReadTxn& txn, std::string_view owner) const {
  std::vector<std::string> out;
  std::string prefix = blocklist_prefix(owner);
  txn.scan(store_, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return out;
}

std::size_t BlocklistStore::count(const ReadTxn& txn, std::string_view owner) const {
  std::size_t n = 0;
  txn.scan(store_, blocklist_prefix(owner), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

bool BlocklistStore::contains(const ReadTxn& txn, std::string_view owner,
                              std::string_view item) const {
  return !item.empty() && txn.get(store_, blocklist_prefix(owner).append(item)).has_value();
}

bool BlocklistStore::is_blocked(const ReadTxn& txn, std::string_view owner,
                                const xmpp::Jid& address) const {
  if (address.empty()) {
    return false;
  }
  // A few point lookups rather than a scan: blocklists can be long, candidates are few.
  std::string key = blocklist_prefix(owner);
  const std::size_t prefix_size = key.size();
  for (std::string_view item : items_blocking(address)) {
    key.resize(prefix_size);
    key.append(item);
    if (txn.get(store_, key).has_value()) {
      return true;
    }
  }
  return false;
}

Result<void, StoreError> BlocklistStore::add(WriteTxn& txn, std::string_view owner,
                                             std::string_view item) const {
  if (item.empty()) {
    return Err(StoreError{0, "blocklist item without a JID"});
  }
  return txn.put(store_, blocklist_prefix(owner).append(item), kItemRecord);
}

Result<bool, StoreError> BlocklistStore::remove(WriteTxn& txn, std::string_view owner,
                                                std::string_view item) const {
  if (item.empty()) {
    return false;
  }
  return txn.remove(store_, blocklist_prefix(owner).append(item));
}

Result<void, StoreError> BlocklistStore::remove_all(WriteTxn& txn, std::string_view owner) const {
  return txn.remove_prefix(store_, blocklist_prefix(owner));
}

}  // namespace tern::modules::blocking
