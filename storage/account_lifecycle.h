// SPDX-License-Identifier: MIT
// Creating and deleting whole accounts, shared by ternctl and the in-band registration module so
// that both make the same credentials and delete the same data.
#pragma once

#include <string>
#include <string_view>

#include "storage/account_store.h"
#include "storage/env.h"
#include "xmpp/result.h"

namespace tern::storage {

// SCRAM credentials for every hash the server offers (SHA-1, SHA-256, SHA-512), each with its own
// random salt. Deriving them costs three PBKDF2 runs (milliseconds): keep it off event loops.
// The error says why the password was refused.
Result<Account, std::string> make_account(std::string_view password);

// Removes the account and everything kept for it: its records in every per-account store
// (roster, offline queue, blocklist, push registrations, and any module's). Contacts' rosters and
// blocklists keep their items (as for a contact that deleted its account elsewhere, it simply no
// longer answers); a new account of the same name starts with none of them. False when there was
// no such account.
Result<bool, StorageError> delete_account(const Environment& env, WriteTxn& txn,
                                          std::string_view bare_jid);

}  // namespace tern::storage
