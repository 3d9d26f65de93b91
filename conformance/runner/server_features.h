// SPDX-License-Identifier: MIT
// What the server advertises, for scenarios that declare "# requires: FEATURE": the namespaces
// of its stream features before and after authentication and the features in the disco#info
// (XEP-0030) of the domain and of the probing account's bare JID. Some services may live on an
// entity of their own that the server lists among its disco#items (XEP-0363 §3: "A user's server
// SHOULD include any known entities that provide such services into its service discovery
// items"): the probe finds the entity advertising such a service's feature, the domain itself or
// else the first item, counts the feature as advertised and binds the entity's JID to a variable
// the scenarios address (${upload service}).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/runner/accounts.h"
#include "conformance/runner/player.h"
#include "xmpp/element.h"
#include "xmpp/result.h"

namespace tern::conformance {

using FeatureSet = std::set<std::string, std::less<>>;

// A service a scenario addresses through a variable rather than ${domain}.
struct ServiceVariable {
  std::string_view feature;   // what the service advertises in its disco#info
  std::string_view variable;  // the variable naming its JID, without ${ }
};
inline constexpr ServiceVariable kServiceVariables[] = {
    {"urn:xmpp:http:upload:0", "upload service"},  // XEP-0363 §3
};

struct ServerFeatures {
  FeatureSet features;
  ServerVariables variables;  // "upload service" -> its JID
};

// The features of a disco#info result (XEP-0030 §3.1); empty for anything else.
FeatureSet disco_info_features(const xmpp::Element& iq);
// The JIDs of a disco#items result's items (XEP-0030 §4.1), in order, without the items that name
// a node (those are nodes of an entity, not entities) and without repeats; empty for anything else.
std::vector<std::string> disco_item_jids(const xmpp::Element& iq);

// For each of kServiceVariables: the domain when `domain_features` (its disco#info) include the
// service's feature, else the first of `items` (JID and disco#info features, in the order the
// server listed them) that does; the variable is bound to it and the feature added to
// out.features. A service nobody advertises stays unbound (its scenarios are skipped).
void bind_services(std::string_view domain, const FeatureSet& domain_features,
                   const std::vector<std::pair<std::string, FeatureSet>>& items,
                   ServerFeatures& out);

Result<ServerFeatures, std::string> probe_features(const Target& target, const Account& account);

}  // namespace tern::conformance
