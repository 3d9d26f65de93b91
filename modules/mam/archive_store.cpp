// SPDX-License-Identifier: MIT
#include "modules/mam/archive_store.h"

#include <algorithm>

#include "tern/record.h"

namespace tern::modules::mam {
namespace {

constexpr std::uint8_t kEntryVersion = 1;

void put_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

std::uint64_t read_be64(std::string_view in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < in.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return v;
}

std::string prefix(std::string_view owner, char part) {
  std::string key(owner);
  key += '\0';
  key += part;
  return key;
}

// kind, time (8 bytes), owner "\0" seq: each kind's entries in the order they expire.
std::string expiry_key(const ArchiveStores& stores, std::int64_t stamp_ms, std::string_view owner,
                       std::uint64_t seq) {
  std::string key(1, static_cast<char>(stores.kind));
  put_be64(key, static_cast<std::uint64_t>(std::max<std::int64_t>(stamp_ms, 0)));
  key += owner;
  key += '\0';
  put_be64(key, seq);
  return key;
}

struct Meta {
  std::uint64_t next = 1;
  std::uint64_t count = 0;
};

Meta read_meta(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner) {
  Meta meta;
  if (auto v = txn.get(stores.entries, prefix(owner, 'n'))) {
    record::Reader in(*v);
    meta.next = in.u64();
    meta.count = in.u64();
    if (!in.ok()) {
      meta = Meta{};
    }
  }
  return meta;
}

Result<void, StoreError> write_meta(WriteTxn& txn, const ArchiveStores& stores,
                                    std::string_view owner, const Meta& meta) {
  std::string v;
  record::put_u64(v, meta.next);
  record::put_u64(v, meta.count);
  return txn.put(stores.entries, prefix(owner, 'n'), v);
}

std::string encode_entry(const Entry& e) {
  std::string out;
  record::put_u8(out, kEntryVersion);
  record::put_u64(out, static_cast<std::uint64_t>(e.stamp_ms));
  record::put_u8(out, static_cast<std::uint8_t>((e.queued ? 1U : 0U) | (e.live ? 2U : 0U)));
  record::put_u32(out, e.waiting);
  record::put_str16(out, e.with);
  record::put_str16(out, e.id);
  record::put_u32(out, static_cast<std::uint32_t>(e.xml.size()));
  out += e.xml;
  return out;
}

}  // namespace

std::string entry_key(std::string_view owner, std::uint64_t seq) {
  std::string key = prefix(owner, 'm');
  put_be64(key, seq);
  return key;
}

std::optional<Entry> decode_entry(std::string_view value) {
  record::Reader in(value);
  if (in.u8() != kEntryVersion) {
    return std::nullopt;
  }
  Entry e;
  e.stamp_ms = static_cast<std::int64_t>(in.u64());
  std::uint8_t flags = in.u8();  // entries written before `live` existed have it clear
  e.queued = (flags & 1U) != 0;
  e.live = (flags & 2U) != 0;
  e.waiting = in.u32();
  e.with = in.str16();
  e.id = in.str16();
  e.xml = in.bytes(in.u32());
  if (!in.ok()) {
    return std::nullopt;
  }
  return e;
}

Result<std::uint64_t, StoreError> append(WriteTxn& txn, const ArchiveStores& stores,
                                         std::string_view owner, const Entry& entry,
                                         const Retention& retention) {
  Meta meta = read_meta(txn, stores, owner);
  std::uint64_t seq = meta.next++;
  if (auto r = put(txn, stores, owner, seq, entry); !r) {
    return Err(r.error());
  }
  std::string seq_bytes;
  put_be64(seq_bytes, seq);
  if (auto r = txn.put(stores.entries, prefix(owner, 'i') + entry.id, seq_bytes); !r) {
    return Err(r.error());
  }
  ++meta.count;
  if (auto r = write_meta(txn, stores, owner, meta); !r) {
    return Err(r.error());
  }
  // The oldest go once the archive holds more than it may.
  while (retention.max_messages > 0 &&
         read_meta(txn, stores, owner).count > static_cast<std::uint64_t>(retention.max_messages)) {
    std::optional<std::uint64_t> oldest;
    scan_up(txn, stores, owner, 0, [&oldest](const StoredEntry& s) {
      oldest = s.seq;
      return false;
    });
    if (!oldest) {
      break;
    }
    if (auto r = remove(txn, stores, owner, *oldest); !r) {
      return Err(r.error());
    }
  }
  return seq;
}

std::optional<std::uint64_t> find_id(const ReadTxn& txn, const ArchiveStores& stores,
                                     std::string_view owner, std::string_view id) {
  auto v = txn.get(stores.entries, prefix(owner, 'i') + std::string(id));
  if (!v || v->size() != 8) {
    return std::nullopt;
  }
  return read_be64(*v);
}

std::optional<Entry> get(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
                         std::uint64_t seq) {
  auto v = txn.get(stores.entries, entry_key(owner, seq));
  return v ? decode_entry(*v) : std::nullopt;
}

Result<void, StoreError> put(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                             std::uint64_t seq, const Entry& entry) {
  if (auto r = txn.put(stores.entries, entry_key(owner, seq), encode_entry(entry)); !r) {
    return r;
  }
  return txn.put(stores.expiry, expiry_key(stores, entry.stamp_ms, owner, seq), {});
}

Result<void, StoreError> remove(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                                std::uint64_t seq) {
  auto entry = get(txn, stores, owner, seq);
  if (!entry) {
    return {};
  }
  for (const std::string& key : {entry_key(owner, seq), prefix(owner, 'i') + entry->id}) {
    if (auto r = txn.remove(stores.entries, key); !r) {
      return Err(r.error());
    }
  }
  if (auto r = txn.remove(stores.expiry, expiry_key(stores, entry->stamp_ms, owner, seq)); !r) {
    return Err(r.error());
  }
  Meta meta = read_meta(txn, stores, owner);
  meta.count = meta.count > 0 ? meta.count - 1 : 0;
  return write_meta(txn, stores, owner, meta);
}

Result<void, StoreError> remove_all(WriteTxn& txn, const ArchiveStores& stores,
                                    std::string_view owner) {
  std::vector<std::uint64_t> seqs;
  scan_up(txn, stores, owner, 0, [&seqs](const StoredEntry& s) {
    seqs.push_back(s.seq);
    return true;
  });
  for (std::uint64_t seq : seqs) {
    if (auto r = remove(txn, stores, owner, seq); !r) {
      return r;
    }
  }
  std::string all(owner);
  all += '\0';
  return txn.remove_prefix(stores.entries, all);
}

std::uint64_t count(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner) {
  return read_meta(txn, stores, owner).count;
}

void scan_up(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
             std::uint64_t from, const std::function<bool(const StoredEntry&)>& fn) {
  std::string p = prefix(owner, 'm');
  txn.scan_from(stores.entries, p, entry_key(owner, from),
                [&](std::string_view key, std::string_view value) {
                  auto entry = decode_entry(value);
                  if (!entry) {
                    return true;  // a damaged entry is skipped, not served
                  }
                  return fn(StoredEntry{read_be64(key.substr(p.size())), std::move(*entry)});
                });
}

void scan_down(const ReadTxn& txn, const ArchiveStores& stores, std::string_view owner,
               std::uint64_t before, const std::function<bool(const StoredEntry&)>& fn) {
  std::string p = prefix(owner, 'm');
  txn.scan_back(stores.entries, p, entry_key(owner, before),
                [&](std::string_view key, std::string_view value) {
                  auto entry = decode_entry(value);
                  if (!entry) {
                    return true;
                  }
                  return fn(StoredEntry{read_be64(key.substr(p.size())), std::move(*entry)});
                });
}

Result<std::size_t, StoreError> expire(WriteTxn& txn, const ArchiveStores& stores,
                                       Clock::time_point cutoff, std::size_t limit) {
  auto cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::string kind(1, static_cast<char>(stores.kind));
  std::string bound = kind;
  put_be64(bound, static_cast<std::uint64_t>(std::max<std::int64_t>(cutoff_ms, 0)));
  struct Due {
    std::string key;
    std::string owner;
    std::uint64_t seq;
  };
  std::vector<Due> due;
  txn.scan(stores.expiry, kind, [&](std::string_view key, std::string_view) {
    if (key.size() < 1 + 8 + 1 + 8 || key.substr(0, 9) >= bound || due.size() >= limit) {
      return false;
    }
    std::string_view rest = key.substr(9);  // owner "\0" seq
    std::size_t nul = rest.size() - 9;
    due.push_back(
        Due{std::string(key), std::string(rest.substr(0, nul)), read_be64(rest.substr(nul + 1))});
    return true;
  });
  for (const Due& d : due) {
    if (get(txn, stores, d.owner, d.seq)) {
      if (auto r = remove(txn, stores, d.owner, d.seq); !r) {
        return Err(r.error());
      }
    } else if (auto r = txn.remove(stores.expiry, d.key); !r) {  // its archive is gone
      return Err(r.error());
    }
  }
  return due.size();
}

std::vector<Device> devices(const ReadTxn& txn, const ArchiveStores& stores,
                            std::string_view owner) {
  std::vector<Device> out;
  std::string p = prefix(owner, 'd');
  txn.scan(stores.entries, p, [&](std::string_view key, std::string_view value) {
    record::Reader in(value);
    Device d{std::string(key.substr(p.size())), in.u8(), static_cast<std::int64_t>(in.u64())};
    if (in.ok() && d.slot < kMaxDevices) {
      out.push_back(std::move(d));
    }
    return true;
  });
  return out;
}

std::uint32_t recent_slots(const std::vector<Device>& devices, std::int64_t since_ms) {
  std::uint32_t slots = 0;
  for (const Device& d : devices) {
    if (d.last_seen_ms >= since_ms) {
      slots |= 1U << d.slot;
    }
  }
  return slots;
}

Result<Device, StoreError> seen(WriteTxn& txn, const ArchiveStores& stores, std::string_view owner,
                                std::string_view device, std::int64_t now_ms) {
  std::vector<Device> known = devices(txn, stores, owner);
  auto it = std::find_if(known.begin(), known.end(),
                         [device](const Device& d) { return d.name == device; });
  Device d;
  if (it != known.end()) {
    d = *it;
  } else {
    std::uint32_t used = 0;
    for (const Device& k : known) {
      used |= 1U << k.slot;
    }
    d.name = std::string(device);
    if (used != 0xFFFFFFFFU) {
      while ((used & (1U << d.slot)) != 0) {
        ++d.slot;
      }
    } else {
      // Every slot taken: the device seen longest ago gives its slot up.
      auto oldest = std::min_element(known.begin(), known.end(), [](const auto& a, const auto& b) {
        return a.last_seen_ms < b.last_seen_ms;
      });
      d.slot = oldest->slot;
      if (auto r = txn.remove(stores.entries, prefix(owner, 'd') + oldest->name); !r) {
        return Err(r.error());
      }
    }
  }
  d.last_seen_ms = now_ms;
  std::string value;
  record::put_u8(value, d.slot);
  record::put_u64(value, static_cast<std::uint64_t>(now_ms));
  if (auto r = txn.put(stores.entries, prefix(owner, 'd') + d.name, value); !r) {
    return Err(r.error());
  }
  return d;
}

}  // namespace tern::modules::mam
