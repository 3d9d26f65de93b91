// SPDX-License-Identifier: MIT
// What the server process costs, read from /proc on the same host: resident memory (VmRSS) and
// CPU time (utime + stime of every thread). Works for any server, whatever it is written in;
// tern-bench samples it around each phase when given --server-pid.
#pragma once

#include <cstdint>
#include <optional>

namespace tern::bench {

struct ProcessSample {
  std::uint64_t rss_kb = 0;
  double cpu_seconds = 0;  // user + system, all threads
};

// Nothing when the process is gone or /proc cannot be read.
std::optional<ProcessSample> sample_process(int pid);

// This process's own CPU time (user, system) so far.
void own_cpu_seconds(double& user, double& system);

}  // namespace tern::bench
