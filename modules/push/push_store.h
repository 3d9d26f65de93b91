// SPDX-License-Identifier: MIT
// PushStore: the XEP-0357 app servers each account registered for push notifications, in the
// module's per-account store "push" (deleted with the account).
//
// Keys: "owner\0app-server-jid\0node" → record version 1, then the publish options (a XEP-0004
// form as XML, possibly empty). Owner and app server are prepared JIDs (no NUL); the node is the
// app server's opaque name for the device, which XML text cannot make contain NUL either.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tern/module_api.h"

namespace tern::modules::push {

struct PushRegistration {
  std::string app_server;       // JID
  std::string node;             // the device's node on the app server
  std::string publish_options;  // <x xmlns='jabber:x:data' type='submit'>…</x>, or empty
};

class PushStore {
 public:
  // The store the module opened: ctx.open_store("push").
  explicit PushStore(StoreId store) : store_(store) {}

  // Every registration of `owner`, in key order.
  std::vector<PushRegistration> list(const ReadTxn& txn, std::string_view owner) const;
  std::size_t count(const ReadTxn& txn, std::string_view owner) const;

  // Adds or replaces the registration for (app server, node).
  Result<void, StoreError> put(WriteTxn& txn, std::string_view owner,
                               const PushRegistration& registration) const;
  // Removes the registration for (app server, node), or every one of the app server when `node`
  // is empty (XEP-0357 §6). Returns how many went.
  Result<std::size_t, StoreError> remove(WriteTxn& txn, std::string_view owner,
                                         std::string_view app_server, std::string_view node) const;

 private:
  StoreId store_;
};

}  // namespace tern::modules::push
