// SPDX-License-Identifier: MIT
// tern-bench's command line: which scenario, against which server, how much load. Parsing is kept
// apart from the event loop so that the usage text and the defaults live in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "client/client_stream.h"

namespace tern::bench {

enum class Mode : std::uint8_t {
  Connect,   // N authenticated sessions held idle
  Chat,      // N pairs exchanging one-to-one messages
  Presence,  // presence broadcasts to rosters of R contacts
  Muc,       // groupchat messages fanned out to rooms of N occupants (XEP-0045)
  Register,  // XEP-0077 in-band registration of the accounts (servers without a provisioning tool)
};

struct Options {
  Mode mode = Mode::Connect;
  std::string host = "127.0.0.1";
  std::uint16_t port = 5222;
  std::string domain = "localhost";
  std::string prefix = "bench";  // accounts are PREFIX<index>@DOMAIN
  std::uint64_t first = 0;       // index of the first account
  std::string password = "bench-password";
  client::TlsMode tls = client::TlsMode::StartTls;
  client::Mechanism mechanism = client::Mechanism::ScramSha256;

  std::uint64_t sessions = 100;  // connect, presence, register: accounts; chat: 2 × pairs
  std::uint64_t roster = 10;     // presence: contacts per account (even)
  std::uint64_t occupants = 10;  // muc: sessions per room (sessions = rooms × occupants)
  std::string muc_service;       // muc: the rooms' service (default: conference.DOMAIN)
  double hold_seconds = 5;       // connect: how long the sessions stay idle
  double duration_seconds = 10;  // chat, presence: the measured phase
  double rate = 0;  // chat: messages/s over all pairs (presence: broadcasts/s); 0: flat out
  std::uint32_t window = 4;  // flat out: messages in flight per direction of a pair
  std::uint32_t body_bytes = 64;
  bool initial_presence = true;
  std::uint32_t concurrency = 200;  // negotiations in flight per process
  std::uint32_t sources = 50;       // 127.0.0.x source addresses (loopback targets only)
  std::uint32_t processes = 1;
  double drain_seconds = 5;    // after the phase: how long to wait for messages in flight
  double setup_timeout = 300;  // seconds for every session to come up
  int server_pid = 0;          // sample this process's RSS and CPU time (same host)
  std::string provision_cmd;   // run once before connecting (placeholders, see usage)
  std::string trust_file;      // verify the server against this PEM (default: no verification)
  bool verbose = false;
};

// The parsed options, or a message for the user (usage errors, --help) and the exit status.
struct ParseOutcome {
  std::optional<Options> options;
  std::string message;
  int status = 0;
};
ParseOutcome parse_options(int argc, char** argv);

const char* mode_name(Mode mode);
const char* tls_name(client::TlsMode tls);

}  // namespace tern::bench
