// SPDX-License-Identifier: MIT
// Server::reload (SIGHUP, `ternctl reload`; docs/operations.md): reads the configuration again
// from where it came (the same file, the same --set overrides) and applies what can change
// without closing a session: log levels, TLS certificates (new connections get the new ones; a
// connection keeps the context it started with, which stays alive), c2s limits and timeouts (new
// sessions), alert thresholds, and the modules with their options (WorkerHost::reload_modules).
// What cannot change live (listeners, the store, workers, hosts…) is named in the answer and the
// log, and keeps its old value until a restart. A configuration that does not load, or whose
// modules refuse their options, is refused whole, with file:line; the running one stays.
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/module/shared_module.h"
#include "core/server/server.h"
#include "core/server/worker_state.h"
#include "log/backend.h"
#include "log/logger.h"

namespace tern::core {

namespace {

const log::Logger kLog("server");

// Module options compared by value (not by where they were written: a line moved is no change).
bool same_module_options(const Config& a, const Config& b) {
  if (a.module_options.size() != b.module_options.size()) {
    return false;
  }
  for (const auto& [module, table] : a.module_options) {
    auto other = b.module_options.find(module);
    if (other == b.module_options.end() || other->second.size() != table.size()) {
      return false;
    }
    for (const auto& [key, option] : table) {
      auto value = other->second.find(key);
      if (value == other->second.end() || value->second.value != option.value) {
        return false;
      }
    }
  }
  return true;
}

// The settings a reload leaves alone, by name, where `fresh` differs from `running`.
std::vector<std::string> needing_restart(const Config& running, const Config& fresh) {
  std::vector<std::string> names;
  auto check = [&](bool same, const char* name) {
    if (!same) {
      names.emplace_back(name);
    }
  };
  check(running.storage_path == fresh.storage_path, "server.storage_path");
  check(running.workers == fresh.workers, "server.workers");
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& h : running.hosts) {
    a.push_back(h.domain);
  }
  for (const auto& h : fresh.hosts) {
    b.push_back(h.domain);
  }
  check(a == b, "[[host]] domains");
  check(running.starttls_listeners == fresh.starttls_listeners, "c2s.starttls");
  check(running.direct_tls_listeners == fresh.direct_tls_listeners, "c2s.direct_tls");
  check(running.http_listeners == fresh.http_listeners, "http.listen");
  check(running.https_listeners == fresh.https_listeners, "http.tls_listen");
  check(running.binary == fresh.binary, "c2s.binary");
  check(running.admin_enabled == fresh.admin_enabled && running.admin_socket == fresh.admin_socket,
        "[admin]");
  check(running.metrics_enabled == fresh.metrics_enabled &&
            running.metrics_path == fresh.metrics_path &&
            running.metrics_allow == fresh.metrics_allow &&
            running.metrics_listeners == fresh.metrics_listeners,
        "[metrics]");
  check(running.alerts_enabled == fresh.alerts_enabled &&
            running.alert_interval == fresh.alert_interval,
        "alerts.enabled/interval");
  check(running.logging.format == fresh.logging.format &&
            running.logging.destination == fresh.logging.destination &&
            running.logging.rate_limit == fresh.logging.rate_limit &&
            running.logging.rate_burst == fresh.logging.rate_burst &&
            running.logging.queue_lines == fresh.logging.queue_lines,
        "[log] format/destination/rate/queue");
  check(running.resume_timeout == fresh.resume_timeout, "c2s.resume_timeout");
  check(running.auth_failures_per_account == fresh.auth_failures_per_account &&
            running.auth_failures_per_address == fresh.auth_failures_per_address &&
            running.auth_max_lockout == fresh.auth_max_lockout,
        "c2s.auth_failures_*");
  check(running.limits.max_stanza_bytes == fresh.limits.max_stanza_bytes,
        "limits.max_stanza_bytes (WebSocket and BOSH messages)");
  check(running.max_connections == fresh.max_connections &&
            running.max_connections_per_address == fresh.max_connections_per_address,
        "c2s.max_connections");
  check(running.store_map_size == fresh.store_map_size &&
            running.store_max_map_size == fresh.store_max_map_size &&
            running.store_min_room == fresh.store_min_room &&
            running.store_lazy_commit == fresh.store_lazy_commit,
        "[storage]");
  check(running.http_public_url == fresh.http_public_url &&
            running.http_cors_origins == fresh.http_cors_origins &&
            running.http_max_body_bytes == fresh.http_max_body_bytes &&
            running.http_header_timeout == fresh.http_header_timeout &&
            running.http_body_timeout == fresh.http_body_timeout &&
            running.http_idle_timeout == fresh.http_idle_timeout &&
            running.http_bosh_max_wait == fresh.http_bosh_max_wait &&
            running.http_bosh_inactivity == fresh.http_bosh_inactivity &&
            running.http_client_trust_file == fresh.http_client_trust_file,
        "[http]");
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += (text.empty() ? "" : ", ") + name;
  }
  return text;
}

}  // namespace

Server::ReloadResult Server::reload() {
  std::lock_guard lock(reload_mutex_);
  if (stopping_) {
    return ReloadResult{false, "reload refused: ternd is stopping\n"};
  }
  const Config& running = *live_config_;
  const std::string path = running.source == kEmbeddedConfigSource ? std::string() : running.source;
  auto fresh = load_config(path, running.overrides);
  auto refuse = [](const std::string& why) {
    kLog.warn("config.reload_refused",
              "configuration reload refused: the running configuration stays", {{"error", why}});
    return ReloadResult{false, "reload refused, the running configuration stays: " + why + "\n"};
  };
  if (!fresh) {
    return refuse(fresh.error().to_string());
  }
  if (auto checked = check_modules(*fresh, modules_); !checked) {
    return refuse(checked.error());
  }
  // The certificates, read again (a renewed file), for the hosts that run: only when the file
  // names the same hosts (a host added or removed waits for a restart, certificates with it).
  const std::vector<std::string> restart = needing_restart(config_, *fresh);
  const bool same_hosts =
      std::find(restart.begin(), restart.end(), "[[host]] domains") == restart.end();
  std::optional<tls::TlsContext> tls;
  if (same_hosts) {
    auto made = tls::TlsContext::server(fresh->hosts, config_.storage_path, config_.binary);
    if (!made) {
      return refuse("TLS: " + made.error().message);
    }
    tls.emplace(std::move(made).value());
  }

  std::vector<std::string> applied = {"log levels"};
  if (tls) {
    applied.emplace_back("TLS certificates (new connections)");
  }
  applied.emplace_back("c2s limits and timeouts (new sessions)");
  log::set_levels(fresh->logging);
  if (alerts_) {
    alerts_->set_thresholds(
        AlertThresholds{fresh->alert_session_output_bytes, fresh->alert_session_unacked_stanzas,
                        fresh->alert_loop_lag_ms, fresh->alert_writer_queue, fresh->alert_commit_ms,
                        fresh->alert_disk_free_bytes, fresh->alert_login_failures_per_minute});
    applied.emplace_back("alert thresholds");
  }
  // Contexts are never freed while the server runs: connections made from them refer to them.
  if (tls) {
    retired_tls_.push_back(std::move(tls_));
    tls_ = std::make_unique<tls::TlsContext>(std::move(*tls));
  }
  const tls::TlsContext* context = tls_.get();
  const bool modules_changed =
      fresh->modules != running.modules || !same_module_options(*fresh, running);
  std::vector<std::string> module_errors;
  std::mutex errors_mutex;
  const Config& next = *fresh;
  on_every_worker([&](WorkerState& ws) {
    ws.env.tls = context;
    ws.http_env.tls = context;
    ws.apply_session_settings(next);
    if (modules_changed) {
      if (auto reloaded = ws.host.reload_modules(next); !reloaded) {
        std::lock_guard errors_lock(errors_mutex);
        module_errors.push_back("worker " + std::to_string(ws.worker.id()) + ": " +
                                reloaded.error());
      }
    }
  });
  if (modules_changed) {
    applied.emplace_back(module_errors.empty() ? "modules and their options"
                                               : "modules (failed: " + joined(module_errors) +
                                                     "; the old ones run there)");
  }
  if (!module_errors.empty()) {
    // Some workers run the old modules: the next reload must try again.
    fresh->modules = running.modules;
    fresh->module_options = running.module_options;
  }
  live_config_ = std::make_unique<Config>(std::move(fresh).value());
  kLog.info("config.reloaded", "configuration reloaded",
            {{"config", live_config_->describe_source()},
             {"applied", joined(applied)},
             {"needs_restart", joined(restart)}});
  std::string text =
      "reloaded " + live_config_->describe_source() + "\napplied: " + joined(applied) + "\n";
  if (!restart.empty()) {
    text += "not applied, kept until ternd restarts: " + joined(restart) + "\n";
  }
  return ReloadResult{module_errors.empty(), text};
}

Server::ReloadResult Server::reload_module(const std::string& name) {
  std::lock_guard lock(reload_mutex_);
  if (stopping_) {
    return ReloadResult{false, "module reload refused: ternd is stopping\n"};
  }
  auto refuse = [&name](const std::string& why) {
    kLog.warn("module.reload_refused", "module reload refused: the running code stays",
              {{"module", name}, {"error", why}});
    return ReloadResult{false, "module reload refused, the running code stays: " + why + "\n"};
  };
  auto path = shared_paths_.find(name);
  if (path == shared_paths_.end()) {
    return refuse("'" + name +
                  "' was not loaded from a shared object ([modules] load): a built-in module "
                  "changes with ternd itself");
  }
  auto loaded = load_shared_module(path->second);
  if (!loaded) {
    return refuse(loaded.error());
  }
  if (loaded->info->name != name) {
    return refuse(path->second + " now holds module '" + std::string(loaded->info->name) +
                  "', not '" + name + "'");
  }
  std::vector<const ModuleInfo*> next;
  {
    std::lock_guard modules_lock(modules_mutex_);
    next = modules_;
  }
  for (const ModuleInfo*& info : next) {
    if (info->name == name) {
      info = loaded->info;
    }
  }
  // The new code must take the running options, as at a start.
  if (auto checked = check_modules(*live_config_, next); !checked) {
    return refuse(checked.error());
  }
  {
    std::lock_guard modules_lock(modules_mutex_);
    modules_ = next;
  }
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  const Config& running = *live_config_;
  on_every_worker([&](WorkerState& ws) {
    if (auto reloaded = ws.host.reload_modules(running); !reloaded) {
      std::lock_guard errors_lock(errors_mutex);
      errors.push_back("worker " + std::to_string(ws.worker.id()) + ": " + reloaded.error());
    }
  });
  if (!errors.empty()) {
    return ReloadResult{false,
                        "module " + name + " reloaded with errors: " + joined(errors) + "\n"};
  }
  kLog.info("module.reloaded", "module code replaced", {{"module", name}, {"path", path->second}});
  return ReloadResult{true, "module " + name + " reloaded from " + path->second + "\n"};
}

}  // namespace tern::core
