// SPDX-License-Identifier: MIT
// What a blocklist change tells others once it is committed: the owner's resources that asked for
// the blocklist get a push (XEP-0191 §3.3-3.5), and contacts allowed to see the owner's presence
// see the owner go offline on a block and come back on an unblock (§3.3, §3.4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "modules/blocking/blocklist_store.h"
#include "modules/services/roster_service.h"
#include "tern/module_api.h"

namespace tern::modules::blocking {

// The session flag of a resource that retrieved the blocklist and so gets pushes.
inline constexpr std::string_view kInterestedFlag = "blocklist";

// An IQ set with <`command` xmlns='urn:xmpp:blocking'> (block or unblock) and one <item/> per
// entry of `items` (none: unblock all) to every interested resource of `owner`.
void push_to_interested(ModuleContext& ctx, const std::string& owner, std::string_view command,
                        const std::vector<std::string>& items);

// Unavailable presence from each available resource of `owner` to the contacts that `blocked`
// items now block and that have a presence subscription to the owner.
void send_unavailable_to_blocked(ModuleContext& ctx, const roster::RosterService& roster,
                                 const std::string& owner, const std::vector<std::string>& blocked);

// The current presence of each available resource of `owner` to the contacts that `unblocked`
// items blocked, that nothing on the blocklist blocks any more and that have a presence
// subscription to the owner.
void send_presence_to_unblocked(ModuleContext& ctx, const roster::RosterService& roster,
                                const BlocklistStore& blocklist, const std::string& owner,
                                const std::vector<std::string>& unblocked);

}  // namespace tern::modules::blocking
