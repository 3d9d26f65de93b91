// SPDX-License-Identifier: MIT
#include "modules/pep/node_store.h"

#include <charconv>
#include <cstdio>

namespace tern::modules::pep {
namespace {

std::string prefix(std::string_view owner, char kind, std::string_view name) {
  std::string key(owner);
  key += '\0';
  key += kind;
  key += name;
  return key;
}

std::string node_key(std::string_view owner, std::string_view name) {
  return prefix(owner, 'n', name);
}

// 'o' NODE \0: the node's items in order.
std::string order_prefix(std::string_view owner, std::string_view name) {
  return prefix(owner, 'o', name) + '\0';
}

std::string sequence_text(std::uint64_t sequence) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(sequence));
  return {text, 16};
}

std::optional<std::uint64_t> parse_hex(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string id_key(std::string_view owner, std::string_view name, std::string_view id) {
  std::string key = prefix(owner, 'i', name) + '\0';
  key += id;
  return key;
}

// The node record: "NEXT LAST\n" (hex) and the configuration.
std::string encode_node(const Node& node) {
  return sequence_text(node.next_sequence) + " " + sequence_text(node.last_sequence) + "\n" +
         node.config.serialize();
}

std::optional<Node> decode_node(std::string_view name, std::string_view value) {
  if (value.size() < 34 || value[16] != ' ' || value[33] != '\n') {
    return std::nullopt;
  }
  auto next = parse_hex(value.substr(0, 16));
  auto last = parse_hex(value.substr(17, 16));
  auto config = NodeConfig::parse(value.substr(34));
  if (!next || !last || !config) {
    return std::nullopt;
  }
  return Node{std::string(name), std::move(*config), *next, *last};
}

std::optional<Item> decode_item(std::string_view key, std::string_view value) {
  std::size_t zero = value.find('\0');
  auto sequence = key.size() >= 16 ? parse_hex(key.substr(key.size() - 16)) : std::nullopt;
  if (zero == std::string_view::npos || !sequence) {
    return std::nullopt;
  }
  return Item{std::string(value.substr(0, zero)), std::string(value.substr(zero + 1)), *sequence};
}

}  // namespace

std::optional<Node> NodeStore::node(const ReadTxn& txn, std::string_view owner,
                                    std::string_view name) const {
  auto value = txn.get(store_, node_key(owner, name));
  return value ? decode_node(name, *value) : std::nullopt;
}

std::vector<Node> NodeStore::nodes(const ReadTxn& txn, std::string_view owner) const {
  std::vector<Node> out;
  const std::string p = prefix(owner, 'n', "");
  txn.scan(store_, p, [&](std::string_view key, std::string_view value) {
    if (auto node = decode_node(key.substr(p.size()), value)) {
      out.push_back(std::move(*node));
    }
    return true;
  });
  return out;
}

std::size_t NodeStore::node_count(const ReadTxn& txn, std::string_view owner) const {
  std::size_t count = 0;
  txn.scan(store_, prefix(owner, 'n', ""), [&](std::string_view, std::string_view) {
    ++count;
    return true;
  });
  return count;
}

Result<void, StoreError> NodeStore::put_node(WriteTxn& txn, std::string_view owner,
                                             const Node& node) const {
  return txn.put(store_, node_key(owner, node.name), encode_node(node));
}

Result<void, StoreError> NodeStore::delete_node(WriteTxn& txn, std::string_view owner,
                                                std::string_view name) const {
  if (auto removed = txn.remove(store_, node_key(owner, name)); !removed) {
    return Err(removed.error());
  }
  if (auto purged = txn.remove_prefix(store_, order_prefix(owner, name)); !purged) {
    return purged;
  }
  if (auto purged = txn.remove_prefix(store_, prefix(owner, 'i', name) + '\0'); !purged) {
    return purged;
  }
  return txn.remove_prefix(store_, prefix(owner, 's', name) + '\0');
}

std::vector<std::string> NodeStore::subscribers(const ReadTxn& txn, std::string_view owner,
                                                std::string_view name) const {
  std::vector<std::string> out;
  const std::string p = prefix(owner, 's', name) + '\0';
  txn.scan(store_, p, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(p.size()));
    return true;
  });
  return out;
}

bool NodeStore::subscribed(const ReadTxn& txn, std::string_view owner, std::string_view name,
                           std::string_view jid) const {
  return txn.get(store_, prefix(owner, 's', name) + '\0' + std::string(jid)).has_value();
}

Result<void, StoreError> NodeStore::subscribe(WriteTxn& txn, std::string_view owner,
                                              std::string_view name, std::string_view jid) const {
  return txn.put(store_, prefix(owner, 's', name) + '\0' + std::string(jid), "");
}

Result<bool, StoreError> NodeStore::unsubscribe(WriteTxn& txn, std::string_view owner,
                                                std::string_view name, std::string_view jid) const {
  return txn.remove(store_, prefix(owner, 's', name) + '\0' + std::string(jid));
}

Result<void, StoreError> NodeStore::purge(WriteTxn& txn, std::string_view owner, Node& node) const {
  if (auto purged = txn.remove_prefix(store_, order_prefix(owner, node.name)); !purged) {
    return purged;
  }
  if (auto purged = txn.remove_prefix(store_, prefix(owner, 'i', node.name) + '\0'); !purged) {
    return purged;
  }
  node.last_sequence = 0;
  return put_node(txn, owner, node);
}

std::vector<Item> NodeStore::items(const ReadTxn& txn, std::string_view owner,
                                   std::string_view name) const {
  std::vector<Item> out;
  txn.scan(store_, order_prefix(owner, name), [&](std::string_view key, std::string_view value) {
    if (auto item = decode_item(key, value)) {
      out.push_back(std::move(*item));
    }
    return true;
  });
  return out;
}

std::optional<Item> NodeStore::item(const ReadTxn& txn, std::string_view owner,
                                    std::string_view name, std::string_view id) const {
  auto sequence = txn.get(store_, id_key(owner, name, id));
  if (!sequence) {
    return std::nullopt;
  }
  std::string key = order_prefix(owner, name) + std::string(*sequence);
  auto value = txn.get(store_, key);
  return value ? decode_item(key, *value) : std::nullopt;
}

std::optional<Item> NodeStore::last_item(const ReadTxn& txn, std::string_view owner,
                                         const Node& node) const {
  if (node.last_sequence == 0) {
    return std::nullopt;
  }
  std::string key = order_prefix(owner, node.name) + sequence_text(node.last_sequence);
  auto value = txn.get(store_, key);
  return value ? decode_item(key, *value) : std::nullopt;
}

Result<std::vector<std::string>, StoreError> NodeStore::publish(WriteTxn& txn,
                                                                std::string_view owner, Node& node,
                                                                const Item& item,
                                                                std::int64_t keep) const {
  if (auto replaced = retract(txn, owner, node, item.id); !replaced) {
    return Err(replaced.error());
  }
  const std::uint64_t sequence = node.next_sequence++;
  const std::string order = order_prefix(owner, node.name);
  std::string value = item.id;
  value += '\0';
  value += item.payload;
  if (auto put = txn.put(store_, order + sequence_text(sequence), value); !put) {
    return Err(put.error());
  }
  if (auto put = txn.put(store_, id_key(owner, node.name, item.id), sequence_text(sequence));
      !put) {
    return Err(put.error());
  }
  node.last_sequence = sequence;
  // The oldest beyond `keep` go (XEP-0060 §7.1.2 and max_items).
  std::vector<Item> all = items(txn, owner, node.name);
  std::vector<std::string> removed;
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < all.size(); ++i) {
    if (auto gone = txn.remove(store_, order + sequence_text(all[i].sequence)); !gone) {
      return Err(gone.error());
    }
    if (auto gone = txn.remove(store_, id_key(owner, node.name, all[i].id)); !gone) {
      return Err(gone.error());
    }
    removed.push_back(all[i].id);
  }
  if (auto put = put_node(txn, owner, node); !put) {
    return Err(put.error());
  }
  return removed;
}

Result<bool, StoreError> NodeStore::retract(WriteTxn& txn, std::string_view owner, Node& node,
                                            std::string_view id) const {
  auto sequence = txn.get(store_, id_key(owner, node.name, id));
  if (!sequence) {
    return false;
  }
  const std::string order_key = order_prefix(owner, node.name) + std::string(*sequence);
  const bool was_last = parse_hex(*sequence) == node.last_sequence;
  if (auto gone = txn.remove(store_, order_key); !gone) {
    return Err(gone.error());
  }
  if (auto gone = txn.remove(store_, id_key(owner, node.name, id)); !gone) {
    return Err(gone.error());
  }
  if (was_last) {
    std::vector<Item> rest = items(txn, owner, node.name);
    node.last_sequence = rest.empty() ? 0 : rest.back().sequence;
  }
  if (auto put = put_node(txn, owner, node); !put) {
    return Err(put.error());
  }
  return true;
}

}  // namespace tern::modules::pep
