// SPDX-License-Identifier: MIT
#include "tools/tern-bench/probe.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tern::bench {

std::optional<ProcessSample> sample_process(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  ProcessSample sample;
  std::ifstream status(dir + "/status");
  std::string line;
  bool found = false;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      sample.rss_kb = std::stoull(line.substr(6));
      found = true;
      break;
    }
  }
  std::ifstream stat_file(dir + "/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const std::size_t paren = stat.rfind(')');
  if (!found || paren == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int n = 3; fields >> field; ++n) {  // field 3 is the state
    if (n == 14) {
      utime = std::stoull(field);
    } else if (n == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  sample.cpu_seconds =
      static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return sample;
}

void own_cpu_seconds(double& user, double& system) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  user = static_cast<double>(usage.ru_utime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  system = static_cast<double>(usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace tern::bench
