// SPDX-License-Identifier: MIT
// The runner's reports: a line per scenario (with the mismatch when it failed), the summary table
// by specification, the closing line "N passed, N failed", and JUnit XML for CI.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/player.h"
#include "conformance/runner/scenario.h"

namespace tern::conformance {

struct Entry {
  const Scenario* scenario = nullptr;
  ScenarioResult result;
  std::string known_gap;  // the scenario's reason, when it failed on a server it names
};

void print_result(std::ostream& out, const Entry& entry, bool verbose);
// The table by specification and the closing line.
void print_summary(std::ostream& out, const std::vector<Entry>& entries);
bool write_junit(const std::string& path, const std::vector<Entry>& entries);

}  // namespace tern::conformance
