// SPDX-License-Identifier: MIT
#include "storage/account_lifecycle.h"

#include "xmpp/sasl/scram.h"

namespace tern::storage {

Result<Account, std::string> make_account(std::string_view password) {
  Account account;
  for (auto hash : {xmpp::sasl::ScramHash::Sha1, xmpp::sasl::ScramHash::Sha256,
                    xmpp::sasl::ScramHash::Sha512}) {
    auto credentials = xmpp::sasl::make_scram_credentials(hash, password);
    if (!credentials) {
      return Err(std::string(xmpp::sasl::describe(credentials.error())));
    }
    account.credentials.push_back(std::move(credentials).value());
  }
  return account;
}

Result<bool, StorageError> delete_account(const Environment& env, WriteTxn& txn,
                                          std::string_view bare_jid) {
  auto removed = AccountStore::remove(txn, bare_jid);
  if (!removed || !*removed) {
    return removed;
  }
  if (auto r = env.delete_account_records(txn, bare_jid); !r) {
    return Err(r.error());
  }
  return true;
}

}  // namespace tern::storage
