// SPDX-License-Identifier: MIT
// tern-bench: a load generator for XMPP servers (any server, not only Tern). See options.cpp for
// the usage, docs/performance.md for how the project's figures were measured with it.
//
// Exit status: 0 when every session came up and nothing was lost, 1 otherwise, 2 on a usage
// error or when a generator process failed.
#include <cstdio>
#include <iostream>

#include "tools/tern-bench/coordinator.h"
#include "tools/tern-bench/options.h"
#include "tools/tern-bench/provision.h"
#include "tools/tern-bench/summary.h"

int main(int argc, char** argv) {
  using namespace tern::bench;
  ParseOutcome parsed = parse_options(argc, argv);
  if (!parsed.options) {
    (parsed.status == 0 ? std::cout : std::cerr) << parsed.message;
    return parsed.status;
  }
  const Options& options = *parsed.options;
  if (!options.provision_cmd.empty() && !provision(options)) {
    return 2;
  }
  auto result = run(options);
  if (!result) {
    std::fprintf(stderr, "tern-bench: a generator process failed\n");
    return 2;
  }
  std::printf("%s\n", format_summary(options, *result).c_str());
  const bool clean = result->stats.sessions_failed == 0 &&
                     result->stats.sessions_up == result->stats.sessions_wanted &&
                     lost(options, result->stats) == 0;
  return clean ? 0 : 1;
}
