// SPDX-License-Identifier: MIT
// The coordinator: forks --processes generator processes, each with its share of the sessions
// (chat pairs and presence rings stay inside one process, so every count is checked where it is
// made), raises the open-file limit they inherit, starts and ends the measured phase in all of
// them at once, samples the server around it (--server-pid) and merges their results.
#pragma once

#include <optional>

#include "tools/tern-bench/options.h"
#include "tools/tern-bench/probe.h"
#include "tools/tern-bench/stats.h"

namespace tern::bench {

struct RunResult {
  Stats stats;
  double phase_seconds = 0;  // between "go" and "stop", as the coordinator saw it
  // The server, when --server-pid was given: before any connection, when every session was up,
  // and at the end of the phase.
  std::optional<ProcessSample> server_before;
  std::optional<ProcessSample> server_ready;
  std::optional<ProcessSample> server_after;
};

// Nothing when a generator process could not be started or died without a result.
std::optional<RunResult> run(const Options& options);

}  // namespace tern::bench
