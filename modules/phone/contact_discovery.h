// SPDX-License-Identifier: MIT
// Contact discovery (docs/phone-signup.md): a logged-in user sends the numbers of their address
// book as truncated SHA-256 hashes and learns which are registered here, as JIDs.
//
//   <iq type='get' to='HOST'><query xmlns='urn:tern:contacts:0'>
//     <item hash='20 hex digits'/>…</query></iq>
//   → <iq type='result'><query xmlns='urn:tern:contacts:0'>
//     <item hash='…' jid='4915112345678@HOST'/>…</query></iq>   (the matches only)
//
// The hashes keep numbers out of transit logs and proxies, not from the server: there are few
// enough phone numbers to hash them all. What keeps the registry from being enumerated is the
// daily limit per account ([modules.phone] discovery_per_day), counted in the store.
#pragma once

#include <cstdint>

#include "tern/module_api.h"

namespace tern::modules::phone {

inline constexpr std::string_view kContactsNs = "urn:tern:contacts:0";
// Hashes in one request (a bigger address book asks in several).
inline constexpr std::size_t kMaxHashesPerRequest = 500;

class ContactDiscovery {
 public:
  ContactDiscovery(ModuleContext& ctx, StoreId index, StoreId counters, std::uint64_t per_day);
  void on_query(IqRequest& req);

 private:
  ModuleContext& ctx_;
  StoreId index_;
  StoreId counters_;
  std::uint64_t per_day_;
  log::Logger log_;
};

}  // namespace tern::modules::phone
