// SPDX-License-Identifier: MIT
// PushStore: the XEP-0357 app servers each account registered for push notifications. Stateless
// over the Push database, like the other stores.
//
// Keys: "owner\0app-server-jid\0node" → record version 1, then the publish options (a XEP-0004
// form as XML, possibly empty). Owner and app server are prepared JIDs (no NUL); the node is the
// app server's opaque name for the device, which XML text cannot make contain NUL either.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/env.h"

namespace tern::storage {

struct PushRegistration {
  std::string app_server;       // JID
  std::string node;             // the device's node on the app server
  std::string publish_options;  // <x xmlns='jabber:x:data' type='submit'>…</x>, or empty
};

class PushStore {
 public:
  // Every registration of `owner`, in key order.
  static std::vector<PushRegistration> list(const ReadTxn& txn, std::string_view owner);
  static std::size_t count(const ReadTxn& txn, std::string_view owner);

  // Adds or replaces the registration for (app server, node).
  static Result<void, StorageError> put(WriteTxn& txn, std::string_view owner,
                                        const PushRegistration& registration);
  // Removes the registration for (app server, node), or every one of the app server when `node`
  // is empty (XEP-0357 §6). Returns how many went.
  static Result<std::size_t, StorageError> remove(WriteTxn& txn, std::string_view owner,
                                                  std::string_view app_server,
                                                  std::string_view node);
  // The account is being deleted.
  static Result<void, StorageError> remove_all(WriteTxn& txn, std::string_view owner);
};

}  // namespace tern::storage
