// SPDX-License-Identifier: MIT
// AccountStore: accounts keyed by bare JID ("local@domain", prepared), each holding the SCRAM
// credentials of every hash the server offers — salt, iteration count, StoredKey and ServerKey —
// and never the password (RFC 5802 §3). Stateless over the Accounts database: every call takes the
// transaction it runs in, so ternctl, the server's writer thread and tests share the same code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/env.h"
#include "xmpp/sasl/credentials.h"

namespace tern::storage {

struct Account {
  std::vector<xmpp::sasl::ScramCredentials> credentials;  // at most one per hash

  const xmpp::sasl::ScramCredentials* credentials_for(xmpp::sasl::ScramHash hash) const;
  friend bool operator==(const Account&, const Account&) = default;
};

// The record format (version 1): u8 version, u8 count, then per credential: u8 hash, u32
// iterations (little endian), u8 salt length, salt, u8 key length, StoredKey, ServerKey.
std::string encode_account(const Account& account);
std::optional<Account> decode_account(std::string_view record);

class AccountStore {
 public:
  // nullopt when absent (or unreadable, which is logged by the caller as corruption).
  static std::optional<Account> get(const ReadTxn& txn, std::string_view bare_jid);
  static bool exists(const ReadTxn& txn, std::string_view bare_jid);
  static Result<void, StorageError> put(WriteTxn& txn, std::string_view bare_jid,
                                        const Account& account);
  static Result<bool, StorageError> remove(WriteTxn& txn, std::string_view bare_jid);
  // Every bare JID, in byte order; with a domain, only that domain's accounts.
  static std::vector<std::string> list(const ReadTxn& txn, std::string_view domain = {});
};

}  // namespace tern::storage
