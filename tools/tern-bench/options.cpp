// SPDX-License-Identifier: MIT
#include "tools/tern-bench/options.h"

#include <charconv>
#include <string_view>

namespace tern::bench {

namespace {

constexpr const char* kUsage = R"(usage: tern-bench MODE [OPTIONS]
A load generator for any XMPP server. Prints one summary line starting with "tern-bench:".

modes:
  connect    open --sessions authenticated sessions, hold them idle --hold seconds
  chat       --pairs pairs exchange one-to-one messages for --duration seconds, at --rate
             messages/s in all or flat out (--window messages in flight per direction)
  presence   --sessions accounts with rosters of --roster contacts (mutual subscriptions are
             set up first), each broadcasting presence for --duration seconds
  register   create the accounts by in-band registration (XEP-0077)
  muc        --rooms rooms of --occupants sessions each (XEP-0045 at --muc-service); one
             occupant per room sends groupchat messages, every occupant receives each, for
             --duration seconds, at --rate messages/s in all or flat out (--window per room)

server:
  --host ADDR            IPv4 address (127.0.0.1)          --port N (5222)
  --domain NAME          the XMPP domain (localhost)
  --prefix P --first N   accounts are P<N>, P<N+1>... (bench, 0)
  --password S           every account's password (bench-password)
  --tls starttls|direct|binary|none   (starttls; binary: direct TLS offering Tern binary XMPP)
  --mechanism SCRAM-SHA-256|SCRAM-SHA-1|SCRAM-SHA-512|PLAIN   (SCRAM-SHA-256)
  --trust FILE           verify the server's certificate against FILE (default: not verified)
  --provision CMD        shell command run once first; {prefix} {first} {count} {password}
                         {domain} are replaced (e.g. "ternctl adduser-range {prefix}...")

load:
  --sessions N   --pairs N   --roster R   --hold S   --duration S   --rate R   --window W
  --rooms N --occupants N  muc: sessions = rooms × occupants
  --muc-service NAME       muc: the rooms' service (conference.DOMAIN)
  --body-bytes B           message body size (64)
  --no-initial-presence    sessions send no <presence/> after binding
  --concurrency C          negotiations in flight per process (200)
  --sources S              spread connections over 127.0.0.2.. (S addresses; 0: kernel's) (50)
  --processes K            fork K generator processes (past the per-process file limit) (1)
  --drain S                seconds to wait for messages in flight after the phase (5)
  --setup-timeout S        seconds for every session to come up (300)
  --server-pid PID         also report that process's RSS and CPU time (server on this host)
  --verbose                progress and failures on stderr
)";

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::Connect:
      return "connect";
    case Mode::Chat:
      return "chat";
    case Mode::Presence:
      return "presence";
    case Mode::Register:
      return "register";
    case Mode::Muc:
      return "muc";
  }
  return "connect";
}

const char* tls_name(client::TlsMode tls) {
  switch (tls) {
    case client::TlsMode::StartTls:
      return "starttls";
    case client::TlsMode::Direct:
      return "direct";
    case client::TlsMode::DirectBinary:
      return "binary";
    case client::TlsMode::None:
      return "none";
  }
  return "none";
}

ParseOutcome parse_options(int argc, char** argv) {
  ParseOutcome outcome;
  Options options;
  std::uint64_t rooms = 0;  // muc: with --occupants, the sessions
  auto usage_error = [&](const std::string& why) {
    outcome.message = "tern-bench: " + why + "\n" + kUsage;
    outcome.status = 2;
    return outcome;
  };
  if (argc < 2) {
    return usage_error("no mode given");
  }
  const std::string_view mode = argv[1];
  if (mode == "--help" || mode == "-h") {
    outcome.message = kUsage;
    return outcome;
  }
  if (mode == "connect") {
    options.mode = Mode::Connect;
  } else if (mode == "chat") {
    options.mode = Mode::Chat;
  } else if (mode == "presence") {
    options.mode = Mode::Presence;
  } else if (mode == "register") {
    options.mode = Mode::Register;
  } else if (mode == "muc") {
    options.mode = Mode::Muc;
  } else {
    return usage_error("unknown mode '" + std::string(mode) + "'");
  }
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--no-initial-presence") {
      options.initial_presence = false;
      continue;
    }
    if (flag == "--verbose") {
      options.verbose = true;
      continue;
    }
    if (i + 1 >= argc) {
      return usage_error("'" + std::string(flag) + "' needs a value (or is unknown)");
    }
    const std::string_view value = argv[++i];
    bool ok = true;
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      ok = parse_number(value, options.port);
    } else if (flag == "--domain") {
      options.domain = value;
    } else if (flag == "--prefix") {
      options.prefix = value;
    } else if (flag == "--first") {
      ok = parse_number(value, options.first);
    } else if (flag == "--password") {
      options.password = value;
    } else if (flag == "--tls") {
      if (value == "starttls") {
        options.tls = client::TlsMode::StartTls;
      } else if (value == "direct") {
        options.tls = client::TlsMode::Direct;
      } else if (value == "binary") {
        options.tls = client::TlsMode::DirectBinary;
      } else if (value == "none") {
        options.tls = client::TlsMode::None;
      } else {
        ok = false;
      }
    } else if (flag == "--mechanism") {
      auto mechanism = client::parse_mechanism(value);
      ok = mechanism.has_value();
      if (ok) {
        options.mechanism = *mechanism;
      }
    } else if (flag == "--trust") {
      options.trust_file = value;
    } else if (flag == "--provision") {
      options.provision_cmd = value;
    } else if (flag == "--sessions") {
      ok = parse_number(value, options.sessions);
    } else if (flag == "--pairs") {
      ok = parse_number(value, options.sessions);
      options.sessions *= 2;
    } else if (flag == "--rooms") {
      ok = parse_number(value, rooms);
    } else if (flag == "--occupants") {
      ok = parse_number(value, options.occupants) && options.occupants > 0;
    } else if (flag == "--muc-service") {
      options.muc_service = value;
    } else if (flag == "--roster") {
      ok = parse_number(value, options.roster) && options.roster % 2 == 0;
    } else if (flag == "--hold") {
      ok = parse_number(value, options.hold_seconds);
    } else if (flag == "--duration") {
      ok = parse_number(value, options.duration_seconds);
    } else if (flag == "--rate") {
      ok = parse_number(value, options.rate);
    } else if (flag == "--window") {
      ok = parse_number(value, options.window) && options.window > 0;
    } else if (flag == "--body-bytes") {
      ok = parse_number(value, options.body_bytes);
    } else if (flag == "--concurrency") {
      ok = parse_number(value, options.concurrency) && options.concurrency > 0;
    } else if (flag == "--sources") {
      ok = parse_number(value, options.sources) && options.sources <= 250;
    } else if (flag == "--processes") {
      ok = parse_number(value, options.processes) && options.processes > 0;
    } else if (flag == "--drain") {
      ok = parse_number(value, options.drain_seconds);
    } else if (flag == "--setup-timeout") {
      ok = parse_number(value, options.setup_timeout);
    } else if (flag == "--server-pid") {
      ok = parse_number(value, options.server_pid);
    } else {
      return usage_error("unknown option '" + std::string(flag) + "'");
    }
    if (!ok) {
      return usage_error("bad value '" + std::string(value) + "' for " + std::string(flag));
    }
  }
  if (options.mode == Mode::Muc) {
    options.sessions = rooms * options.occupants;
    if (options.sessions == 0) {
      return usage_error("muc needs --rooms and --occupants");
    }
  }
  if (options.mode == Mode::Chat && options.sessions % 2 != 0) {
    return usage_error("chat needs whole pairs");
  }
  if (options.mode == Mode::Presence && options.roster >= options.sessions) {
    return usage_error("presence needs more sessions than roster contacts");
  }
  outcome.options = std::move(options);
  return outcome;
}

}  // namespace tern::bench
