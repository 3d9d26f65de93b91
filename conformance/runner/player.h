// SPDX-License-Identifier: MIT
// Plays one scenario against a server: each actor is a BlockingClient (client/) on a fresh
// account; steps run in order; the first step that does not go as written fails the scenario,
// with what was expected and what came instead.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "client/blocking_client.h"
#include "conformance/runner/accounts.h"
#include "conformance/runner/scenario.h"

namespace tern::conformance {

// Variables the server-feature probe binds for every scenario: "upload service" (XEP-0363 §3),
// the JID of the entity offering HTTP upload, the domain or one of its disco#items.
using ServerVariables = std::map<std::string, std::string, std::less<>>;

struct Target {
  client::Endpoint endpoint;
  std::string domain = "localhost";
  client::TlsMode tls = client::TlsMode::StartTls;
  client::Mechanism mechanism = client::Mechanism::ScramSha256;
  const tls::TlsContext* tls_context = nullptr;
  std::chrono::milliseconds timeout{5000};  // connecting, and waiting for an expected stanza
  std::chrono::milliseconds quiet{300};     // "receives nothing" waits this long
  ServerVariables variables;                // ${upload service}, found by probe_features
};

// Warned: a scenario that tests only SHOULDs failed (the server does not follow a
// recommendation; not a failure).
enum class Outcome { Passed, Failed, Warned, Skipped };

struct ScenarioResult {
  Outcome outcome = Outcome::Passed;
  std::string reason;    // why it failed or was skipped
  int line = 0;          // the failing step
  std::string expected;  // pretty XML, when a stanza did not match
  std::string received;
  std::string transcript;  // every stanza sent and received, in order
  std::chrono::milliseconds duration{0};
};

// `accounts` are in the order of scenario.actors.
ScenarioResult play(const Scenario& scenario, const Target& target,
                    const std::vector<Account>& accounts);

}  // namespace tern::conformance
