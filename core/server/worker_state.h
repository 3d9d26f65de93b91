// SPDX-License-Identifier: MIT
// Server::WorkerState: one worker and what lives on its thread — the event loop, the connections
// with their timeout wheels, the once-a-second tick (deadlines, detached sessions, module timers,
// the store's room), the flushers that batch each loop turn's deliveries into one write, and the
// XEP-0198 sessions waiting to be resumed.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/http/bosh_service.h"
#include "core/http/http_client.h"
#include "core/loop/timeout_wheel.h"
#include "core/loop/worker.h"
#include "core/net/connection.h"
#include "core/net/listener.h"
#include "core/server/worker_host.h"

namespace tern::core {

struct Server::WorkerState {
  WorkerState(Server& server, unsigned id)
      : worker(id),
        timeouts(uv_now(worker.loop()) / 1000),
        write_timeouts(uv_now(worker.loop()) / 1000),
        host(server, id),
        env{id,
            host,
            c2s::SessionOptions{},
            server.tls_.get(),
            connections,
            timeouts,
            static_cast<std::uint64_t>(server.config_.negotiation_timeout.count()),
            static_cast<std::uint64_t>(server.config_.idle_timeout.count()),
            *server.admission_,
            server.config_.max_output_bytes,
            static_cast<std::uint64_t>(server.config_.write_timeout.count()),
            write_timeouts,
            counters},
        http_env{id,   server.http_options_, server.tls_.get(),
                 host, http_connections,     *server.admission_,
                 env},
        metrics_env{id,        server.http_options_, nullptr,
                    no_routes, http_connections,     *server.admission_,
                    env},
        bosh(id, worker.loop(), *server.bosh_directory_, env, server.http_options_.bosh,
             server.http_options_.max_buffered_body_bytes,
             server.http_options_.consider_websocket_secure) {
    http_env.bosh = &bosh;
    metrics_env.metrics_only = true;  // [metrics] listen
    host.set_counters(&counters);
    apply_session_settings(server.config_);
    // Restart-only (resumption.cpp expires detached sessions with the configured value).
    env.options.resume_timeout_s =
        static_cast<std::uint32_t>(server.config_.resume_timeout.count());
    http_client = std::make_unique<http::HttpClient>(worker.loop(), *server.http_client_tls_,
                                                     server.config_.http_client_max_requests);
    uv_timer_init(worker.loop(), &tick);
    tick.data = this;
    uv_timer_init(worker.loop(), &lag_probe);
    lag_probe.data = this;
    // After each turn's reads (check) and before the loop blocks (prepare: deliveries made by
    // timers): what was delivered to a connection meanwhile goes out in one write.
    uv_check_init(worker.loop(), &flusher);
    flusher.data = this;
    uv_prepare_init(worker.loop(), &pre_poll_flusher);
    pre_poll_flusher.data = this;
  }

  // c2s limits and timeouts from `config`: at start, and at a reload (on this worker's thread;
  // sessions take them when they start, so a reload changes them for new sessions).
  void apply_session_settings(const Config& config) {
    env.options.require_encryption = config.require_encryption;
    env.options.limits = config.limits;
    env.options.max_unacked_stanzas = config.max_unacked_stanzas;
    env.options.max_unacked_bytes = config.max_unacked_bytes;
    env.options.max_stanza_bytes_before_auth = config.max_stanza_bytes_before_auth;
    env.negotiation_timeout_s = static_cast<std::uint64_t>(config.negotiation_timeout.count());
    env.idle_timeout_s = static_cast<std::uint64_t>(config.idle_timeout.count());
    env.max_output_bytes = config.max_output_bytes;
    env.write_timeout_s = static_cast<std::uint64_t>(config.write_timeout.count());
  }

  static void on_check(uv_check_t* check) {
    static_cast<WorkerState*>(check->data)->connections.flush_queued();
  }
  static void on_prepare(uv_prepare_t* prepare) {
    static_cast<WorkerState*>(prepare->data)->connections.flush_queued();
  }

  // Event-loop lag: how late the probe timer fires, every kLagProbeMs. A turn that holds the loop
  // (a long callback, a burst of work) delays it by as much; 4 samples a second cost nothing.
  static constexpr std::uint64_t kLagProbeMs = 250;
  static void on_lag_probe(uv_timer_t* timer) {
    auto* self = static_cast<WorkerState*>(timer->data);
    const std::uint64_t now = uv_hrtime();
    if (self->lag_probe_last_ns != 0) {
      const std::uint64_t expected = self->lag_probe_last_ns + kLagProbeMs * 1000000;
      const std::uint64_t lag_us = now > expected ? (now - expected) / 1000 : 0;
      self->loop_lag.observe(lag_us);
      self->recent_max_lag_us = std::max(self->recent_max_lag_us, lag_us);
    }
    self->lag_probe_last_ns = now;
  }

  // Once a second: the connections whose deadline has come.
  static void on_tick(uv_timer_t* timer) {
    auto* self = static_cast<WorkerState*>(timer->data);
    self->last_tick = std::chrono::steady_clock::now().time_since_epoch().count();
    self->timeouts.advance(
        uv_now(timer->loop) / 1000,
        [self](TimeoutWheel::Id id) -> std::optional<std::uint64_t> {
          net::Connection* c = self->connections.find(id);
          return c != nullptr ? std::optional(c->deadline()) : std::nullopt;
        },
        [self](TimeoutWheel::Id id) {
          if (net::Connection* c = self->connections.find(id)) {
            c->on_timeout();
          }
        });
    std::uint64_t now = uv_now(timer->loop) / 1000;
    self->write_timeouts.advance(
        now,
        [self, now](TimeoutWheel::Id id) -> std::optional<std::uint64_t> {
          net::Connection* c = self->connections.find(id);
          return c != nullptr ? c->write_deadline(now) : std::nullopt;
        },
        [self](TimeoutWheel::Id id) {
          if (net::Connection* c = self->connections.find(id)) {
            c->on_write_timeout();
          }
        });
    self->expire_detached(uv_now(timer->loop) / 1000, false);
    self->host.run_module_timers(uv_now(timer->loop) / 1000);
    if (self->worker.id() == 0) {
      self->host.watch_store(uv_now(timer->loop) / 1000);
      self->host.check_alerts(uv_now(timer->loop) / 1000);
    }
  }

  // XEP-0198: detached sessions whose window has passed (all of them at shutdown) end now; and
  // forwarding notes of resumed sessions are forgotten after a while. Both maps stay small (only
  // sessions that lost their connection), so a scan per tick is cheap.
  void expire_detached(std::uint64_t now, bool all) {
    std::vector<std::uint64_t> due;
    for (const auto& [id, entry] : detached) {
      if (all || entry.deadline <= now) {
        due.push_back(id);
      }
    }
    for (std::uint64_t id : due) {
      auto it = detached.find(id);
      if (it == detached.end()) {
        continue;
      }
      std::unique_ptr<c2s::C2sSession> session = std::move(it->second.session);
      detached.erase(it);
      session->expire();  // unbinds, tells contacts, re-routes what was never acknowledged
    }
    for (auto it = moved.begin(); it != moved.end();) {
      it = (all || it->second.until <= now) ? moved.erase(it) : std::next(it);
    }
  }

  Worker worker;
  c2s::Counters counters;  // this worker's figures for /metrics (core/server/metrics.cpp)
  metrics::Histogram loop_lag{metrics::kLatencyMicros};  // µs late, per probe
  uv_timer_t lag_probe{};
  std::uint64_t lag_probe_last_ns = 0;
  std::uint64_t recent_max_lag_us = 0;  // since the last alert check (which resets it)
  // When the tick last ran (steady_clock ticks), read by the watchdog thread.
  std::atomic<std::int64_t> last_tick{std::chrono::steady_clock::now().time_since_epoch().count()};
  net::ConnectionSet connections;
  TimeoutWheel timeouts;
  TimeoutWheel write_timeouts;  // connections whose output waits (Connection::write_deadline)
  WorkerHost host;
  net::ConnectionEnv env;
  http::HttpConnectionSet http_connections;
  http::HttpEnv http_env;
  // [metrics] listen: a listener that serves /metrics and nothing else.
  struct NoRoutes final : http::HttpRouter {
    const HttpRoute* find_route(std::string_view, std::string_view) const override {
      return nullptr;
    }
    std::string public_base_url(std::string_view) const override { return {}; }
  } no_routes;
  http::HttpEnv metrics_env;
  http::BoshService bosh;                         // XEP-0206 sessions created on this worker
  std::unique_ptr<http::HttpClient> http_client;  // ModuleContext::http_request
  std::set<uv_timer_t*> delayed;                  // ModuleContext::after, not yet run
  uv_timer_t tick{};
  uv_check_t flusher{};
  uv_prepare_t pre_poll_flusher{};
  std::vector<net::Listener*> listeners;
  // XEP-0198: sessions whose connection is gone, by their former connection id, until resumed
  // or expired; and where sessions resumed elsewhere went (briefly, for stanzas in flight).
  struct DetachedSession {
    std::unique_ptr<c2s::C2sSession> session;
    std::uint64_t deadline = 0;  // seconds of the loop clock
  };
  struct Moved {
    SessionHandle to;
    std::uint64_t until = 0;
  };
  std::unordered_map<std::uint64_t, DetachedSession> detached;
  std::unordered_map<std::uint64_t, Moved> moved;
};

}  // namespace tern::core
