// SPDX-License-Identifier: MIT
#include "modules/muc/room_store.h"

#include "tern/record.h"

namespace tern::modules::muc {
namespace {

std::string state_key(std::string_view room) {
  return "r" + std::string(room);
}

std::string affiliation_prefix(std::string_view room) {
  std::string key = "a" + std::string(room);
  key += '\0';
  return key;
}

std::string account_prefix(std::string_view jid) {
  std::string key = "u" + std::string(jid);
  key += '\0';
  return key;
}

std::optional<RoomState> decode_state(std::string_view value) {
  record::Reader in(value);
  std::string config_record = in.str16();
  auto config = RoomConfig::decode(config_record);
  RoomState state;
  state.subject = in.str16();
  state.subject_by = in.str16();
  state.salt = in.str16();
  if (!config || !in.ok()) {
    return std::nullopt;
  }
  state.config = std::move(*config);
  return state;
}

}  // namespace

std::optional<StoredRoom> load_room(const ReadTxn& txn, StoreId store, std::string_view room) {
  auto value = txn.get(store, state_key(room));
  if (!value) {
    return std::nullopt;
  }
  auto state = decode_state(*value);
  if (!state) {
    return std::nullopt;
  }
  StoredRoom stored{std::move(*state), {}};
  std::string prefix = affiliation_prefix(room);
  txn.scan(store, prefix, [&](std::string_view key, std::string_view v) {
    record::Reader in(v);
    std::uint8_t affiliation = in.u8();
    std::string reason = in.str16();
    std::string nick = in.at_end() ? std::string() : in.str16();  // older records have none
    if (in.ok() && affiliation <= static_cast<std::uint8_t>(Affiliation::Owner)) {
      stored.affiliations[std::string(key.substr(prefix.size()))] = AffiliationEntry{
          static_cast<Affiliation>(affiliation), std::move(reason), std::move(nick)};
    }
    return true;
  });
  return stored;
}

Result<void, StoreError> save_room_state(WriteTxn& txn, StoreId store, std::string_view room,
                                         const RoomState& state) {
  std::string value;
  record::put_str16(value, state.config.encode());
  record::put_str16(value, state.subject);
  record::put_str16(value, state.subject_by);
  record::put_str16(value, state.salt);
  return txn.put(store, state_key(room), value);
}

Result<void, StoreError> save_room_affiliation(WriteTxn& txn, StoreId store, std::string_view room,
                                               std::string_view jid,
                                               const AffiliationEntry& entry) {
  std::string key = affiliation_prefix(room) + std::string(jid);
  std::string index = account_prefix(jid) + std::string(room);
  if (entry.affiliation == Affiliation::None) {
    if (auto r = txn.remove(store, key); !r) {
      return Err(r.error());
    }
    if (auto r = txn.remove(store, index); !r) {
      return Err(r.error());
    }
    return {};
  }
  std::string value;
  record::put_u8(value, static_cast<std::uint8_t>(entry.affiliation));
  record::put_str16(value, entry.reason);
  record::put_str16(value, entry.nick);
  if (auto r = txn.put(store, key, value); !r) {
    return r;
  }
  return txn.put(store, index, {});
}

Result<void, StoreError> forget_room(WriteTxn& txn, StoreId store, std::string_view room) {
  std::string prefix = affiliation_prefix(room);
  std::vector<std::string> members;
  txn.scan(store, prefix, [&](std::string_view key, std::string_view) {
    members.emplace_back(key.substr(prefix.size()));
    return true;
  });
  for (const std::string& jid : members) {
    if (auto r = txn.remove(store, account_prefix(jid) + std::string(room)); !r) {
      return Err(r.error());
    }
  }
  if (auto r = txn.remove_prefix(store, prefix); !r) {
    return r;
  }
  if (auto r = txn.remove(store, state_key(room)); !r) {
    return Err(r.error());
  }
  return {};
}

Result<std::vector<std::string>, StoreError> forget_account(WriteTxn& txn, StoreId store,
                                                            std::string_view bare_jid) {
  std::string prefix = account_prefix(bare_jid);
  std::vector<std::string> rooms;
  txn.scan(store, prefix, [&](std::string_view key, std::string_view) {
    rooms.emplace_back(key.substr(prefix.size()));
    return true;
  });
  for (const std::string& room : rooms) {
    if (auto r = txn.remove(store, affiliation_prefix(room) + std::string(bare_jid)); !r) {
      return Err(r.error());
    }
  }
  if (auto r = txn.remove_prefix(store, prefix); !r) {
    return Err(r.error());
  }
  return rooms;
}

std::vector<std::pair<std::string, std::string>> public_rooms(const ReadTxn& txn, StoreId store,
                                                              std::string_view domain,
                                                              std::size_t limit) {
  std::vector<std::pair<std::string, std::string>> rooms;
  txn.scan(store, "r", [&](std::string_view key, std::string_view value) {
    std::string_view room = key.substr(1);
    auto at = room.find('@');
    if (at == std::string_view::npos || room.substr(at + 1) != domain) {
      return true;
    }
    auto state = decode_state(value);
    if (state && state->config.is_public) {
      rooms.emplace_back(room, state->config.name);
    }
    return rooms.size() < limit;
  });
  return rooms;
}

}  // namespace tern::modules::muc
