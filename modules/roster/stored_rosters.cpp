// SPDX-License-Identifier: MIT
#include "modules/roster/stored_rosters.h"

#include <memory>

#include "modules/roster/roster_items.h"
#include "modules/roster/subscription.h"

namespace tern::modules::roster {
namespace {

// A subscription change the owner's roster shows (RFC 6121 §3: each one is a roster push);
// hidden state (an unanswered request, §3.1.3) is not.
void push_if_visible(ModuleContext& ctx, const std::string& owner, const ItemChange& change) {
  bool was_visible = change.before && change.before->visible;
  if (change.version == 0 || (!change.after.visible && !was_visible) ||
      (was_visible && shows_the_same(*change.before, change.after))) {
    return;
  }
  push_item(ctx, owner, change.after, change.version, /*removed=*/!change.after.visible);
}

// apply_outbound and apply_inbound: `step` is the state machine's transition.
template <typename Outcome>
void apply(ModuleContext& ctx, const RosterStore& store, const std::string& owner,
           const std::string& contact, Outcome (*step)(RosterItem&, SubscriptionType),
           SubscriptionType type, SubscriptionDone<Outcome> done) {
  auto outcome = std::make_shared<Outcome>();  // filled on the writer thread
  change_item(
      ctx, store, owner, contact,
      [step, type, outcome](RosterItem& item) {
        *outcome = step(item, type);
        return outcome->changed;
      },
      [&ctx, owner, outcome, done = std::move(done)](const ItemChange& change) {
        if (change.ok) {
          push_if_visible(ctx, owner, change);
        }
        done(change.ok, *outcome);
      });
}

}  // namespace

std::vector<RosterItem> StoredRosters::items(const ReadTxn& txn, std::string_view owner) const {
  return store_.items(txn, owner);
}

std::optional<RosterItem> StoredRosters::item(const ReadTxn& txn, std::string_view owner,
                                              std::string_view contact) const {
  return store_.get(txn, owner, contact);
}

bool StoredRosters::may_see_presence(const xmpp::Jid& viewer, std::string_view owner) const {
  if (viewer.bare_view() == owner) {
    return true;
  }
  auto txn = ctx_.read();
  if (!txn) {
    return false;
  }
  auto item = store_.get(*txn, owner, viewer.bare_view());
  return item && has_from(item->subscription);
}

void StoredRosters::apply_outbound(const std::string& owner, const std::string& contact,
                                   SubscriptionType type, SubscriptionDone<OutboundOutcome> done) {
  apply(ctx_, store_, owner, contact, &roster::apply_outbound, type, std::move(done));
}

void StoredRosters::apply_inbound(const std::string& owner, const std::string& contact,
                                  SubscriptionType type, SubscriptionDone<InboundOutcome> done) {
  apply(ctx_, store_, owner, contact, &roster::apply_inbound, type, std::move(done));
}

Result<void, StoreError> StoredRosters::withdraw_requests(
    WriteTxn& txn, std::string_view owner,
    const std::function<bool(std::string_view contact)>& from_whom) const {
  for (RosterItem entry : store_.items(txn, owner)) {
    if (!entry.pending_in || !from_whom(entry.jid)) {
      continue;
    }
    entry.pending_in = false;
    auto written =
        is_empty(entry) ? store_.remove(txn, owner, entry.jid) : store_.put(txn, owner, entry);
    if (!written) {
      return Err(written.error());
    }
  }
  return {};
}

}  // namespace tern::modules::roster
