// SPDX-License-Identifier: MIT
// Account records: a small versioned binary encoding of the SCRAM credentials.
#include "storage/account_store.h"

#include <cstdint>

#include "tern/record.h"

namespace tern::storage {
namespace {

constexpr std::uint8_t kRecordVersion = 1;
using record::put_u32;
using record::put_u8;
using record::Reader;

}  // namespace

const xmpp::sasl::ScramCredentials* Account::credentials_for(xmpp::sasl::ScramHash hash) const {
  for (const auto& c : credentials) {
    if (c.hash == hash) {
      return &c;
    }
  }
  return nullptr;
}

std::string encode_account(const Account& account) {
  std::string out;
  put_u8(out, kRecordVersion);
  put_u8(out, account.credentials.size());
  for (const auto& c : account.credentials) {
    put_u8(out, static_cast<std::uint8_t>(c.hash));
    put_u32(out, c.iterations);
    put_u8(out, c.salt.size());
    out += c.salt;
    put_u8(out, c.stored_key.size());
    out += c.stored_key;
    out += c.server_key;
  }
  return out;
}

std::optional<Account> decode_account(std::string_view record) {
  Reader in(record);
  if (in.u8() != kRecordVersion) {
    return std::nullopt;
  }
  Account account;
  std::size_t count = in.u8();
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    xmpp::sasl::ScramCredentials c;
    std::uint8_t hash = in.u8();
    if (hash > static_cast<std::uint8_t>(xmpp::sasl::ScramHash::Sha512)) {
      return std::nullopt;
    }
    c.hash = static_cast<xmpp::sasl::ScramHash>(hash);
    c.iterations = in.u32();
    c.salt = in.bytes(in.u8());
    std::size_t key_bytes = in.u8();
    if (key_bytes != xmpp::sasl::digest_bytes(c.hash)) {
      return std::nullopt;
    }
    c.stored_key = in.bytes(key_bytes);
    c.server_key = in.bytes(key_bytes);
    account.credentials.push_back(std::move(c));
  }
  if (!in.ok() || !in.at_end()) {
    return std::nullopt;
  }
  return account;
}

std::optional<Account> AccountStore::get(const ReadTxn& txn, std::string_view bare_jid) {
  std::optional<std::string_view> record = txn.get(Db::Accounts, bare_jid);
  if (!record) {
    return std::nullopt;
  }
  return decode_account(*record);
}

bool AccountStore::exists(const ReadTxn& txn, std::string_view bare_jid) {
  return txn.get(Db::Accounts, bare_jid).has_value();
}

Result<void, StorageError> AccountStore::put(WriteTxn& txn, std::string_view bare_jid,
                                             const Account& account) {
  return txn.put(Db::Accounts, bare_jid, encode_account(account));
}

Result<bool, StorageError> AccountStore::remove(WriteTxn& txn, std::string_view bare_jid) {
  return txn.remove(Db::Accounts, bare_jid);
}

std::vector<std::string> AccountStore::list(const ReadTxn& txn, std::string_view domain) {
  std::vector<std::string> jids;
  txn.scan(Db::Accounts, {}, [&](std::string_view key, std::string_view /*value*/) {
    std::size_t at = key.find('@');
    std::string_view key_domain = at == std::string_view::npos ? key : key.substr(at + 1);
    if (domain.empty() || key_domain == domain) {
      jids.emplace_back(key);
    }
    return true;
  });
  return jids;
}

}  // namespace tern::storage
