// SPDX-License-Identifier: MIT
// ternctl's phone commands: accounts by number (the phone module's, docs/phone-signup-
// operators.md), on the store directly like every ternctl command.
//
//   ternctl phone lookup NUMBER            the account, its pending PIN, whether it is findable
//   ternctl phone register NUMBER [PASSWORD]  create the number's account (a random password is
//                                          printed when none is given) and make it findable
//   ternctl phone remove NUMBER            delete the account, its PIN and its index entry
//   ternctl phone pending                  pending verifications: number, expiry, attempts
//
// Numbers are accounts of the first virtual host.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "storage/env.h"

namespace tern::ternctl {

// args: "phone", SUBCOMMAND, …. Exit status as ternctl's: 0 done, 1 refused, 2 usage.
int phone_command(storage::Environment& env, const core::Config& config,
                  const std::vector<std::string>& args);

}  // namespace tern::ternctl
