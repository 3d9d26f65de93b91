// SPDX-License-Identifier: MIT
#include "modules/pep/access.h"

#include <algorithm>

#include "xmpp/namespaces.h"

namespace tern::modules::pep {

Access access(const NodeConfig& config, bool is_owner,
              const std::optional<roster::RosterItem>& contact) {
  if (is_owner) {
    return Access::Allowed;
  }
  switch (config.access_model()) {
    case AccessModel::Open:
      return Access::Allowed;
    case AccessModel::Presence:
      return contact && roster::has_from(contact->subscription)
                 ? Access::Allowed
                 : Access::PresenceSubscriptionRequired;
    case AccessModel::Roster: {
      if (!contact || !contact->visible) {
        return Access::NotInRosterGroup;
      }
      const std::vector<std::string> allowed = config.roster_groups();
      for (const std::string& group : contact->groups) {
        if (std::find(allowed.begin(), allowed.end(), group) != allowed.end()) {
          return Access::Allowed;
        }
      }
      return Access::NotInRosterGroup;
    }
    case AccessModel::Whitelist:
      return Access::ClosedNode;
  }
  return Access::ClosedNode;
}

xmpp::StanzaError access_error(Access refusal) {
  switch (refusal) {
    case Access::PresenceSubscriptionRequired:
      return xmpp::StanzaError::not_authorized().with_application_condition(
          xmpp::ns::kPubsubErrors, "presence-subscription-required");
    case Access::NotInRosterGroup:
      return xmpp::StanzaError::not_authorized().with_application_condition(xmpp::ns::kPubsubErrors,
                                                                            "not-in-roster-group");
    case Access::ClosedNode:
    case Access::Allowed:
      break;
  }
  return xmpp::StanzaError::not_allowed().with_application_condition(xmpp::ns::kPubsubErrors,
                                                                     "closed-node");
}

}  // namespace tern::modules::pep
