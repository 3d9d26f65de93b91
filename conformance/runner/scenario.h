// SPDX-License-Identifier: MIT
// A conformance scenario as written in a .scs file: Prosody's scansion format (named actors, then
// steps that connect, send, expect and disconnect), plus the metadata and the few steps the suite
// needs (see conformance/README.md for the reference). Parsing only: nothing here talks to a
// server.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"

namespace tern::conformance {

struct Actor {
  std::string name;      // "Romeo"
  std::string jid;       // as written; its localpart names the fresh account
  std::string password;  // as written; ignored when the runner provisions accounts
  int line = 0;
};

enum class StepKind {
  Connect,             // "Romeo connects": TLS, SASL, bind
  OpenStream,          // "Romeo opens a stream": stops at the first features after TLS
  Authenticate,        // "Romeo authenticates": stops after SASL (no resource bound)
  FailToAuthenticate,  // "Romeo fails to authenticate": a wrong password; the SASL failure is
                       // received
  FailToLogIn,         // "Romeo fails to log in": the right password is refused (a deleted
                       // account); the SASL failure is received
  FailToConnectTo,     // "Romeo fails to connect to DOMAIN": the stream error is received
  Send,                // "Romeo sends:" + XML, checked to be well-formed
  SendRaw,             // "Romeo sends raw:" + text, sent as is (malformed XML on purpose)
  Receive,             // "Romeo receives:" + expected elements, in any order, others aside
  ReceiveInOrder,      // "Romeo receives in order:" + the next elements, exactly, in order
  ReceiveNothing,      // "Romeo receives nothing" (or "nothing else"): none unclaimed, and none
                       // within the quiet window
  Disconnect,          // "Romeo disconnects": closes the stream politely
  LoseConnection,      // "Romeo loses connection": drops TCP without closing the stream
  IsDisconnected,      // "Romeo is disconnected": the server ends the stream and the connection
  Ignore,  // "Romeo ignores:" + XML: from now on such stanzas are skipped unless a step expects
           // them
};

struct Step {
  StepKind kind = StepKind::Connect;
  std::string actor;
  // The block (XML) of sends/receives, its lines trimmed and joined; the domain of
  // "fails to connect to".
  std::string text;
  int line = 0;
};

struct Scenario {
  std::string path;
  std::string name;                // the path below the scenarios folder, without ".scs"
  std::string title;               // the first comment line
  std::vector<std::string> specs;  // "# spec: RFC 6121 §2.1.3"
  // "# requires: urn:xmpp:sm:3": a feature the server must advertise, or the scenario is skipped.
  std::vector<std::string> required_features;
  // "# known-gap: prosody: why": a server known to fail this scenario, and why.
  std::vector<std::pair<std::string, std::string>> known_gaps;
  // "# must: RFC 6121 §2.1.6: \"…\"" and "# should: …": the requirement tested, quoted.
  std::vector<std::string> musts;
  std::vector<std::string> shoulds;
  std::vector<Actor> actors;
  std::vector<Step> steps;

  // The specification the scenario is filed under in the summary: "RFC 6121" from
  // "RFC 6121 §2.1.3"; "(none)" without a spec line.
  std::string spec_family() const;
  // It tests only SHOULDs: a server that fails it is warned, not failed.
  bool tests_should_only() const { return musts.empty() && !shoulds.empty(); }
  const Actor* actor(std::string_view name) const;
};

// Parses a scenario; the error names the line ("12: unknown actor 'Rome'").
Result<Scenario, std::string> parse_scenario(std::string_view text, std::string path = {});

}  // namespace tern::conformance
