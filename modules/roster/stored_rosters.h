// SPDX-License-Identifier: MIT
// StoredRosters: the roster module's RosterService over its store. Subscription changes go
// through change_item (one store write each, in order per worker) and are pushed to the owner's
// interested resources when the roster the owner sees changed.
#pragma once

#include "modules/roster/roster_store.h"
#include "modules/services/roster_service.h"

namespace tern::modules::roster {

class StoredRosters final : public RosterService {
 public:
  StoredRosters(ModuleContext& ctx, RosterStore store) : ctx_(ctx), store_(store) {}

  std::vector<RosterItem> items(const ReadTxn& txn, std::string_view owner) const override;
  std::optional<RosterItem> item(const ReadTxn& txn, std::string_view owner,
                                 std::string_view contact) const override;
  bool may_see_presence(const xmpp::Jid& viewer, std::string_view owner) const override;
  void apply_outbound(const std::string& owner, const std::string& contact, SubscriptionType type,
                      SubscriptionDone<OutboundOutcome> done) override;
  void apply_inbound(const std::string& owner, const std::string& contact, SubscriptionType type,
                     SubscriptionDone<InboundOutcome> done) override;
  // Touches only the store (never ctx_): safe on the writer thread.
  Result<void, StoreError> withdraw_requests(
      WriteTxn& txn, std::string_view owner,
      const std::function<bool(std::string_view contact)>& from_whom) const override;

 private:
  ModuleContext& ctx_;
  RosterStore store_;
};

}  // namespace tern::modules::roster
