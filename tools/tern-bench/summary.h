// SPDX-License-Identifier: MIT
// The one line tern-bench prints: "tern-bench: key=value ..." with every figure of the run, in
// fixed units (seconds, milliseconds, KiB) so scripts can read it with a split. Keys that need the
// server probe appear only with --server-pid.
#pragma once

#include <string>

#include "tools/tern-bench/coordinator.h"
#include "tools/tern-bench/options.h"

namespace tern::bench {

std::string format_summary(const Options& options, const RunResult& result);
// Messages (or presence deliveries) expected but not received.
std::uint64_t lost(const Options& options, const Stats& stats);

}  // namespace tern::bench
