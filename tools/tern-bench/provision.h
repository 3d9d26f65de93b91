// SPDX-License-Identifier: MIT
// Account provisioning before a run: a shell command given by the operator (for Tern,
// "ternctl adduser-range {prefix}@{domain} {first} {count} {password}"), with the run's numbers
// filled in. Kept out of the generator so that tern-bench needs nothing from any one server.
#pragma once

#include <string>

#include "tools/tern-bench/options.h"

namespace tern::bench {

// The command with {prefix} {first} {count} {password} {domain} replaced.
std::string expand_provision_command(const Options& options);
// Runs it through /bin/sh; false (with its status on stderr) when it fails.
bool provision(const Options& options);

}  // namespace tern::bench
