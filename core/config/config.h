// SPDX-License-Identifier: MIT
// Config: the server's configuration, read from TOML (etc/tern.toml documents every key), with
// command-line overrides (--set KEY=VALUE, dotted keys). Loading validates everything up front:
// an unknown key, a wrong type or an out-of-range value is refused with the file, line and reason,
// so a typo never silently becomes a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "log/options.h"
#include "tls/host_certificate.h"
#include "xmpp/parser_limits.h"
#include "xmpp/result.h"

namespace tern::core {

struct ListenAddress {
  std::string host;  // "0.0.0.0", "::", "127.0.0.1"…
  std::uint16_t port = 0;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// A served domain and its certificate (tls/host_certificate.h).
using VirtualHost = tls::HostCertificate;

// One value of a [modules.NAME] table and where it was written ("file:line" or "--set …"), for
// the module's own error messages.
struct ModuleOptionValue {
  std::variant<bool, std::int64_t, std::string> value;
  std::string where;
};
using ModuleOptionTable = std::map<std::string, ModuleOptionValue>;

// Config::source when no file was read.
inline constexpr std::string_view kEmbeddedConfigSource = "(embedded default)";

struct Config {
  std::string source;                  // the file read, or "(embedded default)"
  std::vector<std::string> overrides;  // the --set KEY=VALUE applied, in order

  // What was read, for messages: the source and the keys of any overrides.
  std::string describe_source() const;

  // [server]
  unsigned workers = 0;  // 0: one per core
  std::string storage_path = "tern-data";

  // [[host]]
  std::vector<VirtualHost> hosts;

  // [c2s]
  std::vector<ListenAddress> starttls_listeners;
  std::vector<ListenAddress> direct_tls_listeners;
  bool require_encryption = true;
  std::chrono::seconds negotiation_timeout{60};
  std::chrono::seconds idle_timeout{600};
  // XEP-0198: how long a session whose connection dropped can be resumed; 0 offers no resumption.
  std::chrono::seconds resume_timeout{300};
  // Tern binary XMPP (docs/binary-xmpp.md §2.1): direct TLS agrees on ALPN tern-xmpp-binary/1
  // with clients that offer it.
  bool binary = true;
  // Resources one account may have bound at once (RFC 6120 §7.6.2.1: resource-constraint past
  // it); a resumable session that lost its connection still counts.
  unsigned max_sessions_per_account = 10;
  // Client connections the server holds at once; 0: as many as the descriptor limit allows after
  // a reserve (ternd raises its soft limit to the hard one at start). Past it, listeners stop
  // accepting until places free up.
  std::size_t max_connections = 0;
  // Client connections from one IP address at once (0: no limit); past it, new ones are closed.
  std::size_t max_connections_per_address = 1000;
  // Consecutive failed logins before an account, or an address, is locked out (2 s, doubling
  // with each further failure up to auth_max_lockout); see core/c2s/auth_throttle.h.
  unsigned auth_failures_per_account = 5;
  unsigned auth_failures_per_address = 20;
  std::chrono::seconds auth_max_lockout{300};
  // Output waiting in ternd for a client that does not read (beyond what the kernel's socket
  // buffer took): past it the client is treated as gone — a resumable session is detached, any
  // other closed; what it never acknowledged goes to the offline queue.
  std::size_t max_output_bytes = 4 << 20;
  // Seconds output may wait without the client taking a byte of it; then the same as above.
  std::chrono::seconds write_timeout{60};
  // XEP-0198: stanzas sent to a client and not acknowledged yet (and the memory their copies
  // hold), connected or detached; past either, the session ends with resource-constraint and they
  // go to the offline queue.
  std::size_t max_unacked_stanzas = 5000;
  std::size_t max_unacked_bytes = 16 << 20;

  // [http] The HTTP service (docs/http.md): plain and TLS listeners (Prosody's ports), the public
  // URL clients are given (empty: https://HOST:PORT of the first TLS listener, else http://),
  // request limits, timeouts and the origins web clients may come from (CORS).
  std::vector<ListenAddress> http_listeners;
  std::vector<ListenAddress> https_listeners;
  std::string http_public_url;
  std::size_t http_max_target_bytes = 8192;
  std::size_t http_max_header_fields = 100;
  std::size_t http_max_header_bytes = 16384;
  // The largest body a route may have buffered in memory (streamed bodies have their route's own
  // limit: uploads).
  std::size_t http_max_body_bytes = 1 << 20;
  std::chrono::seconds http_header_timeout{10};  // from a request's first byte to its last header
  std::chrono::seconds http_body_timeout{30};    // a body without a byte for this long
  std::chrono::seconds http_idle_timeout{60};    // a kept-alive connection without a request
  std::vector<std::string> http_cors_origins = {"*"};
  // A WebSocket session over plain HTTP counts as encrypted (ternd behind a proxy that does TLS,
  // on a network the operator trusts); otherwise it may not authenticate when
  // c2s.require_encryption is on (Prosody's consider_websocket_secure).
  bool http_consider_websocket_secure = false;
  // XMPP over BOSH (XEP-0206): the longest a request is held for output (a client's 'wait' is
  // capped at it), and how long a session lives without a request.
  std::chrono::seconds http_bosh_max_wait{60};
  std::chrono::seconds http_bosh_inactivity{60};
  // The HTTP client (push services, gateways) trusts the system's store and this PEM file too.
  std::string http_client_trust_file;
  // Outgoing requests in flight per worker; more fail at once (the caller retries later).
  std::size_t http_client_max_requests = 256;

  // [metrics] Prometheus metrics (docs/operations.md) at `path` on the HTTP service, for
  // scrapers at the addresses of `allow` ("*": anyone; the default: this machine only, as the
  // figures tell much about the users); others get 403.
  bool metrics_enabled = true;
  std::string metrics_path = "/metrics";
  std::vector<std::string> metrics_allow = {"127.0.0.1", "::1"};
  // Plain HTTP listeners that serve /metrics only, to keep it off the public HTTP service.
  std::vector<ListenAddress> metrics_listeners;

  // [admin] The live admin interface (docs/operations.md): a Unix socket ternctl talks to,
  // owner-only. Empty: STORAGE_PATH/ternd.sock.
  bool admin_enabled = true;
  std::string admin_socket;

  // [activity] A line a second of the key figures to `activity_file` (empty: off), rotated past
  // activity_max_bytes keeping activity_keep old files (core/server/activity_recorder.h).
  std::string activity_file;
  std::uint64_t activity_max_bytes = 64 << 20;
  unsigned activity_keep = 5;

  // [alerts] Thresholds checked every alert_interval (core/server/alerts.h, docs/operations.md);
  // 0 turns one off. alerts_enabled false: none at all.
  bool alerts_enabled = true;
  std::chrono::seconds alert_interval{10};
  std::uint64_t alert_session_output_bytes = 8 << 20;
  std::uint64_t alert_session_unacked_stanzas = 2000;
  std::uint64_t alert_loop_lag_ms = 500;
  std::uint64_t alert_writer_queue = 10000;
  std::uint64_t alert_commit_ms = 500;
  std::uint64_t alert_disk_free_bytes = std::uint64_t{1} << 30;
  std::uint64_t alert_login_failures_per_minute = 600;

  // [storage] The LMDB store's map at start: virtual memory, while the file grows only with what
  // is written, so it may be large. The writer doubles it, before it is full, up to
  // store_max_map_size; past that, writes fail as on a full disk (MDB_MAP_FULL).
  std::size_t store_map_size = std::size_t{16} << 30;
  std::size_t store_max_map_size = std::size_t{1} << 40;
  // Below this much room (on the store's disk or in its map, whichever is less), checked every
  // few seconds, ternd warns and refuses new offline storage with resource-constraint, while live
  // messages still flow; it resumes by itself once there is room again.
  std::size_t store_min_room = std::size_t{64} << 20;
  // How long a lazy write (ModuleContext::write_lazily: a room's archive) may wait for others to
  // share its commit.
  std::chrono::milliseconds store_lazy_commit{20};

  // [limits]
  xmpp::ParserLimits limits;
  // Before authentication (Prosody allows 10,000 bytes then).
  std::size_t max_stanza_bytes_before_auth = 10000;

  // [log] (its level was [server] log_level, which is still read)
  log::Options logging;
  // A store commit slower than this is logged (storage commit.slow, warn).
  std::chrono::milliseconds slow_commit{100};

  // [modules]
  std::vector<std::string> modules;
  // [modules] load: shared objects with modules built outside the tree (core/module/
  // shared_module.h); relative paths to the configuration file's directory.
  std::vector<std::string> module_load;
  // [modules.NAME] of the enabled modules: checked by each module when it starts.
  std::map<std::string, ModuleOptionTable> module_options;

  // One worker per core when workers is 0.
  unsigned effective_workers() const;
};

struct ConfigError {
  std::string source;      // file path, or "--set KEY=VALUE"
  std::uint32_t line = 0;  // 0 when unknown
  std::uint32_t column = 0;
  std::string message;

  // "etc/tern.toml:12:3: unknown key 'wrkers' in [server]"
  std::string to_string() const;
};

// A relative server.storage_path is made absolute: against the current directory when it came
// from --set, against the configuration file's directory, and for the embedded default against
// the source tree (TERN_SOURCE_ROOT) — so ternd and ternctl agree wherever they run.
std::string resolve_storage_path(const std::string& storage_path, const std::string& config_path,
                                 bool from_override);

// Reads `path` (empty: the embedded default, which equals etc/tern.toml) and applies each
// "KEY=VALUE" override in order. VALUE is read as a TOML value when it parses as one (42, true,
// ["a", "b"], "quoted") and as a plain string otherwise; array elements are addressed by index
// (host.0.domain).
Result<Config, ConfigError> load_config(const std::string& path,
                                        const std::vector<std::string>& overrides = {});

// The same from TOML text (tests, and the embedded default).
Result<Config, ConfigError> parse_config(std::string_view toml_text, const std::string& source,
                                         const std::vector<std::string>& overrides = {});

}  // namespace tern::core
