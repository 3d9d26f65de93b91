// SPDX-License-Identifier: MIT
// What the server advertises, for scenarios that declare "# requires: FEATURE": the namespaces
// of its stream features before and after authentication and the features in the disco#info
// (XEP-0030) of the domain and of the probing account's bare JID.
#pragma once

#include <set>
#include <string>

#include "conformance/runner/accounts.h"
#include "conformance/runner/player.h"
#include "xmpp/result.h"

namespace tern::conformance {

using FeatureSet = std::set<std::string, std::less<>>;

Result<FeatureSet, std::string> probe_features(const Target& target, const Account& account);

}  // namespace tern::conformance
