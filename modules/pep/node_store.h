// SPDX-License-Identifier: MIT
// Where PEP keeps its nodes and items: one per-account store ("pep"), so that an account's nodes
// go with it. Keys, under the owner's "bare JID \0":
//   'n' NODE                     → the node (its sequence counters and configuration)
//   'o' NODE \0 SEQUENCE (16 hex) → ITEM-ID \0 PAYLOAD-XML   (items in publication order)
//   'i' NODE \0 ITEM-ID          → SEQUENCE                  (an item found by its id)
//   's' NODE \0 JID              → ""                        (an explicit subscription)
// Node names and item ids come from XML attributes and cannot hold \0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/pep/node_config.h"
#include "tern/store.h"

namespace tern::modules::pep {

struct Node {
  std::string name;
  NodeConfig config;
  std::uint64_t next_sequence = 1;
  std::uint64_t last_sequence = 0;  // the newest item's; 0 when the node holds none
};

struct Item {
  std::string id;
  std::string payload;  // the item's payload as XML
  std::uint64_t sequence = 0;
};

class NodeStore {
 public:
  NodeStore() = default;
  explicit NodeStore(StoreId store) : store_(store) {}

  std::optional<Node> node(const ReadTxn& txn, std::string_view owner, std::string_view name) const;
  // Every node of the owner, by name.
  std::vector<Node> nodes(const ReadTxn& txn, std::string_view owner) const;
  std::size_t node_count(const ReadTxn& txn, std::string_view owner) const;
  Result<void, StoreError> put_node(WriteTxn& txn, std::string_view owner, const Node& node) const;
  // The node and its items.
  Result<void, StoreError> delete_node(WriteTxn& txn, std::string_view owner,
                                       std::string_view name) const;
  // Its items only (XEP-0060 §8.5).
  Result<void, StoreError> purge(WriteTxn& txn, std::string_view owner, Node& node) const;

  // The node's items, oldest first.
  std::vector<Item> items(const ReadTxn& txn, std::string_view owner, std::string_view name) const;
  std::optional<Item> item(const ReadTxn& txn, std::string_view owner, std::string_view name,
                           std::string_view id) const;
  std::optional<Item> last_item(const ReadTxn& txn, std::string_view owner, const Node& node) const;

  // Stores `item` as the node's newest (replacing one of the same id), then removes the oldest
  // beyond `keep`; returns the ids removed that way. Updates and stores `node`.
  Result<std::vector<std::string>, StoreError> publish(WriteTxn& txn, std::string_view owner,
                                                       Node& node, const Item& item,
                                                       std::int64_t keep) const;
  // Explicit subscriptions (XEP-0060 §6.1), by the JID subscribed (bare or full), in key order.
  std::vector<std::string> subscribers(const ReadTxn& txn, std::string_view owner,
                                       std::string_view name) const;
  bool subscribed(const ReadTxn& txn, std::string_view owner, std::string_view name,
                  std::string_view jid) const;
  Result<void, StoreError> subscribe(WriteTxn& txn, std::string_view owner, std::string_view name,
                                     std::string_view jid) const;
  // Whether the subscription existed.
  Result<bool, StoreError> unsubscribe(WriteTxn& txn, std::string_view owner, std::string_view name,
                                       std::string_view jid) const;

  // Whether the item existed. Updates and stores `node`.
  Result<bool, StoreError> retract(WriteTxn& txn, std::string_view owner, Node& node,
                                   std::string_view id) const;

 private:
  StoreId store_;
};

}  // namespace tern::modules::pep
