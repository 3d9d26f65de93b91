// SPDX-License-Identifier: MIT
#include "tools/tern-bench/summary.h"

#include <cstdio>

namespace tern::bench {

namespace {

void add(std::string& line, const char* key, double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, " %s=%.*f", key, decimals, value);
  line += text;
}

void add(std::string& line, const char* key, std::uint64_t value) {
  line += ' ';
  line += key;
  line += '=';
  line += std::to_string(value);
}

double ms(std::uint64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

}  // namespace

std::uint64_t lost(const Options& options, const Stats& stats) {
  const std::uint64_t expected =
      options.mode == Mode::Presence || options.mode == Mode::Muc ? stats.expected : stats.sent;
  return expected > stats.received ? expected - stats.received : 0;
}

std::string format_summary(const Options& options, const RunResult& result) {
  const Stats& s = result.stats;
  std::string line = "tern-bench: mode=";
  line += mode_name(options.mode);
  line += " tls=";
  line += tls_name(options.tls);
  line += " mechanism=";
  line += client::mechanism_name(options.mechanism);
  add(line, "processes", std::uint64_t{options.processes});
  add(line, "sessions", s.sessions_wanted);
  add(line, "up", s.sessions_up);
  add(line, "failed", s.sessions_failed);
  add(line, "setup_s", s.setup_seconds, 3);
  add(line, "logins_per_s",
      s.setup_seconds > 0 ? static_cast<double>(s.sessions_up) / s.setup_seconds : 0, 1);
  add(line, "login_p50_ms", ms(s.logins.percentile(0.5)), 2);
  add(line, "login_p99_ms", ms(s.logins.percentile(0.99)), 2);
  add(line, "phase_s", result.phase_seconds, 3);
  if (options.mode == Mode::Chat || options.mode == Mode::Presence || options.mode == Mode::Muc) {
    if (options.mode == Mode::Muc) {
      add(line, "rooms", options.sessions / options.occupants);
      add(line, "occupants", options.occupants);
    }
    add(line, "sent", s.sent);
    if (options.mode == Mode::Presence || options.mode == Mode::Muc) {
      add(line, "expected", s.expected);
    }
    add(line, "received", s.received);
    add(line, "lost", lost(options, s));
    add(line, "msgs_per_s",
        result.phase_seconds > 0 ? static_cast<double>(s.received_in_window) / result.phase_seconds
                                 : 0,
        1);
    add(line, "lat_p50_ms", ms(s.latency.percentile(0.5)), 3);
    add(line, "lat_p99_ms", ms(s.latency.percentile(0.99)), 3);
    add(line, "lat_max_ms", ms(s.latency.max()), 3);
  }
  add(line, "gen_cpu_setup_s", s.cpu_setup_seconds, 3);
  add(line, "gen_cpu_user_s", s.cpu_user_seconds, 3);
  add(line, "gen_cpu_sys_s", s.cpu_sys_seconds, 3);
  if (result.phase_seconds > 0) {
    // Of one core: above about 90 % per process the generator, not the server, set the pace.
    add(line, "gen_cpu_phase_pct",
        100.0 * (s.cpu_user_seconds + s.cpu_sys_seconds) / result.phase_seconds /
            static_cast<double>(options.processes),
        1);
  }
  if (result.server_before && result.server_ready && result.server_after) {
    const ProcessSample& before = *result.server_before;
    const ProcessSample& ready = *result.server_ready;
    const ProcessSample& after = *result.server_after;
    add(line, "server_rss_kb_before", before.rss_kb);
    add(line, "server_rss_kb_ready", ready.rss_kb);
    add(line, "server_rss_kb_after", after.rss_kb);
    if (s.sessions_up > 0) {
      add(line, "server_rss_kb_per_session",
          (static_cast<double>(after.rss_kb) - static_cast<double>(before.rss_kb)) /
              static_cast<double>(s.sessions_up),
          3);
      add(line, "server_cpu_us_per_login",
          (ready.cpu_seconds - before.cpu_seconds) * 1e6 / static_cast<double>(s.sessions_up), 1);
    }
    add(line, "server_cpu_setup_s", ready.cpu_seconds - before.cpu_seconds, 2);
    add(line, "server_cpu_phase_s", after.cpu_seconds - ready.cpu_seconds, 2);
    if (s.received_in_window > 0) {
      add(line, "server_cpu_us_per_msg",
          (after.cpu_seconds - ready.cpu_seconds) * 1e6 / static_cast<double>(s.received_in_window),
          2);
    }
  }
  return line;
}

}  // namespace tern::bench
