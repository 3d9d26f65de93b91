// SPDX-License-Identifier: MIT
// ternctl's commands for a running ternd, over its admin socket ([admin] socket; by default
// STORAGE_PATH/ternd.sock; core/admin/admin_listener.h): they need ternd's own user or root.
//
//   ternctl status                    uptime, workers, sessions, the store, alerts firing
//   ternctl sessions [JID]            every session, or those of a bare or full JID
//   ternctl kick JID [REASON]         close a JID's sessions (policy-violation with the reason)
//   ternctl queues [--top N]          the N sessions with the most output waiting (default 10)
//   ternctl modules                   the modules the server runs
//   ternctl announce TEXT             a headline message to every online session
//   ternctl top [--count N]           live per-worker figures, a line per worker each second
//   ternctl reload, ternctl module reload NAME   (refused: not in this build yet)
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace tern::ternctl {

// Whether `command` is one of the above.
bool is_admin_command(const std::string& command);
// Runs it against the server of `config`. Exit status as ternctl's: 0 done, 1 refused by the
// server, 2 usage or no server to talk to.
int admin_command(const core::Config& config, const std::vector<std::string>& args);

}  // namespace tern::ternctl
