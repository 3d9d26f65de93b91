// SPDX-License-Identifier: MIT
// Offline queue records, keys and metadata (layout in offline_store.h).
#include "modules/offline/offline_store.h"

#include "tern/record.h"

namespace tern::modules::offline {
namespace {

constexpr std::uint8_t kRecordVersion = 1;

struct QueueMeta {
  std::uint64_t next_sequence = 1;
  std::uint64_t count = 0;
};

std::string queue_prefix(std::string_view owner) {
  std::string key(owner);
  key.push_back('\0');
  return key;
}

std::string message_key(std::string_view owner, std::uint64_t sequence) {
  std::string key = queue_prefix(owner);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((sequence >> shift) & 0xFF));
  }
  return key;
}

std::optional<std::uint64_t> sequence_of(std::string_view suffix) {
  if (suffix.size() != 8) {
    return std::nullopt;
  }
  std::uint64_t sequence = 0;
  for (char c : suffix) {
    sequence = (sequence << 8) | static_cast<unsigned char>(c);
  }
  return sequence;
}

QueueMeta read_meta(const ReadTxn& txn, StoreId store, std::string_view owner) {
  QueueMeta meta;
  if (auto value = txn.get(store, queue_prefix(owner))) {
    record::Reader in(*value);
    QueueMeta stored{in.u64(), in.u64()};
    if (in.ok()) {
      meta = stored;
    }
  }
  return meta;
}

Result<void, StoreError> write_meta(WriteTxn& txn, StoreId store, std::string_view owner,
                                    const QueueMeta& meta) {
  std::string value;
  record::put_u64(value, meta.next_sequence);
  record::put_u64(value, meta.count);
  return txn.put(store, queue_prefix(owner), value);
}

}  // namespace

std::string encode_offline_message(const OfflineMessage& message) {
  std::string out;
  record::put_u8(out, kRecordVersion);
  record::put_u64(out, static_cast<std::uint64_t>(message.stamp_ms));
  out += message.xml;
  return out;
}

std::optional<OfflineMessage> decode_offline_message(std::uint64_t sequence,
                                                     std::string_view data) {
  record::Reader in(data);
  if (in.u8() != kRecordVersion) {
    return std::nullopt;
  }
  OfflineMessage message;
  message.sequence = sequence;
  message.stamp_ms = static_cast<std::int64_t>(in.u64());
  if (!in.ok()) {
    return std::nullopt;
  }
  message.xml = data.substr(9);
  return message;
}

Result<std::optional<std::uint64_t>, StoreError> OfflineStore::push(WriteTxn& txn,
                                                                    std::string_view owner,
                                                                    std::int64_t stamp_ms,
                                                                    std::string_view xml,
                                                                    std::size_t quota) const {
  QueueMeta meta = read_meta(txn, store_, owner);
  if (meta.count >= quota) {
    return std::optional<std::uint64_t>();
  }
  std::uint64_t sequence = meta.next_sequence;
  OfflineMessage message{sequence, stamp_ms, std::string(xml)};
  if (auto r = txn.put(store_, message_key(owner, sequence), encode_offline_message(message)); !r) {
    return Err(r.error());
  }
  meta.next_sequence = sequence + 1;
  meta.count += 1;
  if (auto r = write_meta(txn, store_, owner, meta); !r) {
    return Err(r.error());
  }
  return std::optional<std::uint64_t>(sequence);
}

std::vector<OfflineMessage> OfflineStore::read(const ReadTxn& txn, std::string_view owner,
                                               std::size_t limit) const {
  return read(txn, owner, Range{.max_messages = limit});
}

std::vector<OfflineMessage> OfflineStore::read(const ReadTxn& txn, std::string_view owner,
                                               const Range& range) const {
  std::vector<OfflineMessage> out;
  if (range.max_messages == 0 || range.after >= range.until) {
    return out;
  }
  std::string prefix = queue_prefix(owner);
  // Straight to the first message after `after` (big-endian keys sort like the numbers).
  std::string from = range.after == 0 ? prefix : message_key(owner, range.after + 1);
  std::size_t bytes = 0;
  txn.scan_from(store_, prefix, from, [&](std::string_view key, std::string_view value) {
    auto sequence = sequence_of(key.substr(prefix.size()));
    if (!sequence) {
      return true;  // the metadata record
    }
    if (*sequence > range.until) {
      return false;
    }
    if (auto message = decode_offline_message(*sequence, value)) {
      bytes += message->xml.size();
      out.push_back(std::move(*message));
    }
    return out.size() < range.max_messages && bytes < range.max_bytes;
  });
  return out;
}

std::uint64_t OfflineStore::last_sequence(const ReadTxn& txn, std::string_view owner) const {
  return read_meta(txn, store_, owner).next_sequence - 1;
}

std::size_t OfflineStore::count(const ReadTxn& txn, std::string_view owner) const {
  return static_cast<std::size_t>(read_meta(txn, store_, owner).count);
}

std::string OfflineStore::add_figures(const ReadTxn& txn, std::string from,
                                      std::size_t max_accounts, Figures& into) const {
  for (std::size_t seen = 0; seen < max_accounts; ++seen) {
    std::string owner;
    txn.scan_from(store_, "", from, [&owner](std::string_view key, std::string_view) {
      owner = std::string(key.substr(0, key.find('\0')));
      return false;  // the first key of the next account is enough
    });
    if (owner.empty()) {
      return {};
    }
    const std::uint64_t count = read_meta(txn, store_, owner).count;
    if (count > 0) {
      into.accounts += 1;
      into.messages += count;
      into.largest = std::max(into.largest, count);
    }
    from = owner;
    from += '\x01';  // past "owner\0" and every "owner\0<sequence>"
  }
  return from;
}

Result<bool, StoreError> OfflineStore::remove(WriteTxn& txn, std::string_view owner,
                                              std::uint64_t sequence,
                                              std::optional<std::int64_t> only_if_stamp) const {
  const std::string key = message_key(owner, sequence);
  if (only_if_stamp) {
    auto record = txn.get(store_, key);
    auto message = record ? decode_offline_message(sequence, *record) : std::nullopt;
    if (!message || message->stamp_ms != *only_if_stamp) {
      return false;  // gone, or another message under the same number
    }
  }
  auto removed = txn.remove(store_, key);
  if (!removed || !*removed) {
    return removed;
  }
  QueueMeta meta = read_meta(txn, store_, owner);
  meta.count = meta.count > 0 ? meta.count - 1 : 0;
  if (auto r = write_meta(txn, store_, owner, meta); !r) {
    return Err(r.error());
  }
  return true;
}

Result<void, StoreError> OfflineStore::remove_all(WriteTxn& txn, std::string_view owner) const {
  return txn.remove_prefix(store_, queue_prefix(owner));
}

}  // namespace tern::modules::offline
