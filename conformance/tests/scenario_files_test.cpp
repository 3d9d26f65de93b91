// SPDX-License-Identifier: MIT
// Every scenario of the suite parses and says what it judges: a section (# spec:) and the
// sentence tested, quoted (# must: or # should:), and every known gap names a server and why.
// A FAIL must mean "your server breaks this sentence" (conformance/README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/runner/scenario.h"

namespace tern::conformance {
namespace {

TEST(ScenarioFiles, EveryScenarioCitesTheSentenceItTests) {
  int scenarios = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(TERN_CONFORMANCE_SCENARIOS)) {
    if (entry.path().extension() != ".scs") {
      continue;
    }
    ++scenarios;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_scenario(text.str(), entry.path().string());
    ASSERT_TRUE(parsed.ok()) << entry.path() << ": " << parsed.error();
    const Scenario& s = parsed.value();
    EXPECT_FALSE(s.specs.empty()) << entry.path() << ": no '# spec:' line";
    EXPECT_FALSE(s.musts.empty() && s.shoulds.empty())
        << entry.path() << ": no '# must:' or '# should:' line quoting the sentence tested";
    for (const std::string& line : s.musts) {
      EXPECT_NE(line.find('"'), std::string::npos) << entry.path() << ": must: without a quote";
    }
    for (const std::string& line : s.shoulds) {
      EXPECT_NE(line.find('"'), std::string::npos) << entry.path() << ": should: without a quote";
    }
    for (const auto& [server, why] : s.known_gaps) {
      EXPECT_FALSE(server.empty() || why.empty()) << entry.path() << ": a known gap needs both";
    }
  }
  EXPECT_GT(scenarios, 100);
}

}  // namespace
}  // namespace tern::conformance
