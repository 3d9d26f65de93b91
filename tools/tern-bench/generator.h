// SPDX-License-Identifier: MIT
// One generator process: runs a scenario on its own loop and talks to the coordinator over two
// pipes, a line at a time. It writes "ready" once its sessions are up, starts the phase on "go",
// ends it on "stop", waits up to --drain seconds for what is still in flight, then writes
// "result <Stats::to_text()>" and returns.
#pragma once

#include <cstdint>

#include "tools/tern-bench/options.h"

namespace tern::bench {

// The sessions [first, first + count) of the run. Returns the process's exit status.
int run_generator(const Options& options, std::uint64_t first, std::uint64_t count, int from_fd,
                  int to_fd);

}  // namespace tern::bench
