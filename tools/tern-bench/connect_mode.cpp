// SPDX-License-Identifier: MIT
// connect: the sessions log in and stay idle through the phase (the coordinator samples the
// server's memory meanwhile). Nothing is sent: what an idle session costs is the figure.
#include "tools/tern-bench/modes.h"

namespace tern::bench {

namespace {

class ConnectScenario final : public Scenario {
 public:
  using Scenario::Scenario;
  void start_phase() override { running_ = true; }
  void stop_phase() override { running_ = false; }
};

}  // namespace

std::unique_ptr<Scenario> make_connect_scenario(const Options& options, std::uint64_t first,
                                                std::uint64_t count, const tls::TlsContext* tls) {
  return std::make_unique<ConnectScenario>(options, first, count, tls);
}

}  // namespace tern::bench
