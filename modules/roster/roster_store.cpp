// SPDX-License-Identifier: MIT
// Roster records and the version counter (layout in roster_store.h).
#include "modules/roster/roster_store.h"

#include "tern/record.h"

namespace tern::modules::roster {
namespace {

constexpr std::uint8_t kRecordVersion = 1;
constexpr std::uint8_t kAsk = 1;
constexpr std::uint8_t kPendingIn = 2;
constexpr std::uint8_t kApproved = 4;
constexpr std::uint8_t kVisible = 8;

std::string roster_prefix(std::string_view owner) {
  std::string key(owner);
  key.push_back('\0');
  return key;
}

std::string item_key(std::string_view owner, std::string_view contact) {
  return roster_prefix(owner).append(contact);
}

std::uint64_t read_version(const ReadTxn& txn, StoreId store, std::string_view owner) {
  std::optional<std::string_view> value = txn.get(store, roster_prefix(owner));
  if (!value) {
    return 0;
  }
  record::Reader in(*value);
  std::uint64_t v = in.u64();
  return in.ok() ? v : 0;
}

Result<std::uint64_t, StoreError> bump_version(WriteTxn& txn, StoreId store,
                                               std::string_view owner) {
  std::uint64_t next = read_version(txn, store, owner) + 1;
  std::string value;
  record::put_u64(value, next);
  if (auto r = txn.put(store, roster_prefix(owner), value); !r) {
    return Err(r.error());
  }
  return next;
}

}  // namespace

std::string_view subscription_name(Subscription s) {
  switch (s) {
    case Subscription::To:
      return "to";
    case Subscription::From:
      return "from";
    case Subscription::Both:
      return "both";
    case Subscription::None:
      break;
  }
  return "none";
}

std::string encode_roster_item(const RosterItem& item) {
  std::string out;
  record::put_u8(out, kRecordVersion);
  record::put_u8(out, static_cast<std::uint8_t>(item.subscription));
  record::put_u8(out, (item.ask ? kAsk : 0) | (item.pending_in ? kPendingIn : 0) |
                          (item.approved ? kApproved : 0) | (item.visible ? kVisible : 0));
  record::put_str16(out, item.name);
  record::put_u16(out, item.groups.size());
  for (const std::string& group : item.groups) {
    record::put_str16(out, group);
  }
  return out;
}

std::optional<RosterItem> decode_roster_item(std::string_view contact, std::string_view data) {
  record::Reader in(data);
  if (in.u8() != kRecordVersion) {
    return std::nullopt;
  }
  RosterItem item;
  item.jid = contact;
  std::uint8_t subscription = in.u8();
  if (subscription > static_cast<std::uint8_t>(Subscription::Both)) {
    return std::nullopt;
  }
  item.subscription = static_cast<Subscription>(subscription);
  std::uint8_t flags = in.u8();
  item.ask = (flags & kAsk) != 0;
  item.pending_in = (flags & kPendingIn) != 0;
  item.approved = (flags & kApproved) != 0;
  item.visible = (flags & kVisible) != 0;
  item.name = in.str16();
  std::size_t groups = in.u16();
  for (std::size_t i = 0; i < groups && in.ok(); ++i) {
    item.groups.push_back(in.str16());
  }
  if (!in.ok() || !in.at_end()) {
    return std::nullopt;
  }
  return item;
}

std::vector<RosterItem> RosterStore::items(const ReadTxn& txn, std::string_view owner) const {
  std::vector<RosterItem> out;
  std::string prefix = roster_prefix(owner);
  txn.scan(store_, prefix, [&](std::string_view key, std::string_view value) {
    std::string_view contact = key.substr(prefix.size());
    if (!contact.empty()) {  // the empty suffix is the version record
      if (auto item = decode_roster_item(contact, value)) {
        out.push_back(std::move(*item));
      }
    }
    return true;
  });
  return out;
}

std::optional<RosterItem> RosterStore::get(const ReadTxn& txn, std::string_view owner,
                                           std::string_view contact) const {
  if (contact.empty()) {
    return std::nullopt;
  }
  std::optional<std::string_view> value = txn.get(store_, item_key(owner, contact));
  return value ? decode_roster_item(contact, *value) : std::nullopt;
}

std::uint64_t RosterStore::version(const ReadTxn& txn, std::string_view owner) const {
  return read_version(txn, store_, owner);
}

Result<std::uint64_t, StoreError> RosterStore::put(WriteTxn& txn, std::string_view owner,
                                                   const RosterItem& item) const {
  if (item.jid.empty()) {
    return Err(StoreError{0, "roster item without a JID"});
  }
  if (auto r = txn.put(store_, item_key(owner, item.jid), encode_roster_item(item)); !r) {
    return Err(r.error());
  }
  return bump_version(txn, store_, owner);
}

Result<std::uint64_t, StoreError> RosterStore::remove(WriteTxn& txn, std::string_view owner,
                                                      std::string_view contact) const {
  if (auto r = txn.remove(store_, item_key(owner, contact)); !r) {
    return Err(r.error());
  }
  return bump_version(txn, store_, owner);
}

}  // namespace tern::modules::roster
