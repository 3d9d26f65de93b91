// SPDX-License-Identifier: MIT
// /metrics (docs/operations.md): the Prometheus text format, gathered from every worker without
// stopping any. Counters (logins, stanzas, bytes, loop lag) are read as they are (metrics/
// counter.h); what needs a walk over a worker's sessions (states, output queues, unacknowledged
// stanzas) is collected on that worker's own thread, posted there like any other task. The last
// worker to answer posts the rendering back to the worker that took the request.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/server/server.h"
#include "core/server/worker_figures.h"
#include "core/server/worker_state.h"
#include "log/logger.h"
#include "metrics/exposition.h"

namespace tern::core {

namespace {

const log::Logger kLog("metrics");

using metrics::Exposition;
using metrics::HistogramSnapshot;
using metrics::Type;

constexpr const auto& kStates = kSessionStates;
constexpr const auto& kStreams = kStreamFormats;

std::size_t state_index(c2s::SessionState state) {
  switch (state) {
    case c2s::SessionState::Authenticated:
      return 1;
    case c2s::SessionState::Established:
      return 2;
    case c2s::SessionState::Resuming:
      return 3;
    case c2s::SessionState::Closed:
      return 4;
    case c2s::SessionState::Detached:
      return 5;
    default:
      return 0;  // before authentication
  }
}

}  // namespace

namespace {

struct Gathering {
  std::mutex mutex;
  std::vector<Server::WorkerFigures> figures;
  std::atomic<unsigned> waiting{0};
  unsigned origin = 0;
  std::function<void(std::vector<Server::WorkerFigures>)> done;
};

void observe_session(Server::WorkerFigures& f, const c2s::C2sSession& session,
                     std::size_t transport, std::uint64_t output_bytes) {
  const std::size_t stream = session.wire_format() == c2s::WireFormat::Binary ? 1 : 0;
  f.sessions[state_index(session.state())][stream][transport] += 1;
  f.output_bytes.observe(output_bytes);
  f.max_output_bytes = std::max(f.max_output_bytes, output_bytes);
  const std::uint64_t unacked = session.stream_management().unacked_count();
  f.unacked.observe(unacked);
  f.max_unacked = std::max(f.max_unacked, unacked);
}

std::string worker_label(unsigned id) {
  return std::to_string(id);
}

}  // namespace

void Server::gather(unsigned origin, bool for_alerts,
                    std::function<void(std::vector<WorkerFigures>)> done) {
  auto gathering = std::make_shared<Gathering>();
  gathering->figures.resize(workers_.size());
  gathering->waiting = static_cast<unsigned>(workers_.size());
  gathering->origin = origin;
  gathering->done = std::move(done);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    WorkerState* ws = workers_[i].get();
    ws->worker.post([this, ws, i, gathering, for_alerts] {
      WorkerFigures f;
      if (for_alerts) {
        f.recent_max_lag_us = std::exchange(ws->recent_max_lag_us, 0);
      }
      for (const auto& [id, connection] : ws->connections.all()) {
        if (connection->has_session()) {
          observe_session(f, connection->session(), connection->is_websocket() ? 1 : 0,
                          connection->output_bytes());
        }
      }
      for (const auto& [id, entry] : ws->detached) {
        observe_session(f, *entry.session, 0, 0);
      }
      f.http_connections = ws->http_connections.all().size();
      if (!for_alerts) {
        ws->host.add_module_timings(f.module_handlers);
      }
      {
        std::lock_guard lock(gathering->mutex);
        gathering->figures[i] = std::move(f);
      }
      if (gathering->waiting.fetch_sub(1) == 1) {
        workers_[gathering->origin]->worker.post(
            [gathering] { gathering->done(std::move(gathering->figures)); });
      }
    });
  }
}

void Server::scrape(unsigned origin, std::function<void(std::string)> done) {
  gather(origin, false, [this, done = std::move(done)](const std::vector<WorkerFigures>& figures) {
    done(render_metrics(figures));
  });
}

void Server::check_alerts(std::uint64_t now) {
  if (!alerts_ || alerts_checking_ ||
      now < alerts_checked_at_ + static_cast<std::uint64_t>(config_.alert_interval.count())) {
    return;
  }
  alerts_checked_at_ = now;
  alerts_checking_ = true;
  gather(0, true, [this](const std::vector<WorkerFigures>& figures) {
    alerts_checking_ = false;
    AlertInputs in;
    for (const WorkerFigures& f : figures) {
      in.max_output_bytes = std::max(in.max_output_bytes, f.max_output_bytes);
      in.max_unacked = std::max(in.max_unacked, f.max_unacked);
      in.max_lag_us = std::max(in.max_lag_us, f.recent_max_lag_us);
    }
    in.writer_queue = writer_->queued();
    const HistogramSnapshot commits = writer_->commit_micros().snapshot();
    in.commits = commits.count();
    in.commit_micros = commits.sum;
    in.disk_free = store_->use().disk_free;
    for (const auto& ws : workers_) {
      for (const metrics::Counter& c : ws->counters.logins_refused) {
        in.login_failures += c.value();
      }
    }
    in.now_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    alerts_->check(in);
  });
}

std::string Server::render_metrics(const std::vector<WorkerFigures>& figures) const {
  Exposition out;
  out.family("tern_up", "1 while ternd serves.", Type::Gauge);
  out.sample("tern_up", {}, 1);

  out.family("tern_sessions", "Client sessions by state, stream format, transport and worker.",
             Type::Gauge);
  for (std::size_t w = 0; w < figures.size(); ++w) {
    const std::string worker = worker_label(static_cast<unsigned>(w));
    for (std::size_t s = 0; s < kStates.size(); ++s) {
      for (std::size_t f = 0; f < kStreams.size(); ++f) {
        for (std::size_t t = 0; t < kTransports.size(); ++t) {
          out.sample("tern_sessions",
                     {{"state", kStates[s]},
                      {"stream", kStreams[f]},
                      {"transport", kTransports[t]},
                      {"worker", worker}},
                     static_cast<double>(figures[w].sessions[s][f][t]));
        }
      }
    }
  }
  out.family("tern_http_connections", "Open HTTP connections (not upgraded), by worker.",
             Type::Gauge);
  for (std::size_t w = 0; w < figures.size(); ++w) {
    out.sample("tern_http_connections", {{"worker", worker_label(static_cast<unsigned>(w))}},
               static_cast<double>(figures[w].http_connections));
  }

  // Counters, summed over the workers.
  auto sum = [this](auto field) {
    std::uint64_t total = 0;
    for (const auto& ws : workers_) {
      total += field(ws->counters).value();
    }
    return static_cast<double>(total);
  };
  out.family("tern_connections_opened_total",
             "Client connections opened (TCP, WebSocket and BOSH).", Type::Counter);
  out.sample("tern_connections_opened_total", {},
             sum([](c2s::Counters& c) -> metrics::Counter& { return c.sessions_opened; }));
  out.family("tern_logins_total", "Successful SASL logins, by mechanism.", Type::Counter);
  for (std::size_t m = 0; m < c2s::Counters::kMechanisms.size(); ++m) {
    out.sample("tern_logins_total", {{"mechanism", c2s::Counters::kMechanisms[m]}},
               sum([m](c2s::Counters& c) -> metrics::Counter& { return c.logins[m]; }));
  }
  out.family("tern_login_failures_total",
             "Failed SASL logins, by mechanism and reason (not-authorized: wrong credentials).",
             Type::Counter);
  for (std::size_t m = 0; m < c2s::Counters::kMechanisms.size(); ++m) {
    out.sample("tern_login_failures_total",
               {{"mechanism", c2s::Counters::kMechanisms[m]}, {"reason", "not-authorized"}},
               sum([m](c2s::Counters& c) -> metrics::Counter& { return c.logins_refused[m]; }));
    out.sample(
        "tern_login_failures_total",
        {{"mechanism", c2s::Counters::kMechanisms[m]}, {"reason", "other"}},
        sum([m](c2s::Counters& c) -> metrics::Counter& { return c.logins_failed_other[m]; }));
  }
  out.family("tern_stanzas_received_total", "Stanzas received from client sessions, by kind.",
             Type::Counter);
  for (std::size_t k = 0; k < c2s::Counters::kKinds.size(); ++k) {
    out.sample("tern_stanzas_received_total", {{"kind", c2s::Counters::kKinds[k]}},
               sum([k](c2s::Counters& c) -> metrics::Counter& { return c.stanzas_in[k]; }));
  }
  out.family("tern_stanzas_sent_total", "Stanzas delivered to client sessions, by kind.",
             Type::Counter);
  for (std::size_t k = 0; k < c2s::Counters::kKinds.size(); ++k) {
    out.sample("tern_stanzas_sent_total", {{"kind", c2s::Counters::kKinds[k]}},
               sum([k](c2s::Counters& c) -> metrics::Counter& { return c.stanzas_out[k]; }));
  }
  out.family("tern_received_bytes_total",
             "Bytes read from client connections, TLS records included.", Type::Counter);
  out.sample("tern_received_bytes_total", {},
             sum([](c2s::Counters& c) -> metrics::Counter& { return c.bytes_in; }));
  out.family("tern_sent_bytes_total", "Bytes written to client connections, TLS records included.",
             Type::Counter);
  out.sample("tern_sent_bytes_total", {},
             sum([](c2s::Counters& c) -> metrics::Counter& { return c.bytes_out; }));
  out.family("tern_tls_handshakes_total", "TLS handshakes on client connections, by result.",
             Type::Counter);
  out.sample("tern_tls_handshakes_total", {{"result", "ok"}},
             sum([](c2s::Counters& c) -> metrics::Counter& { return c.tls_handshakes; }));
  out.sample("tern_tls_handshakes_total", {{"result", "failed"}},
             sum([](c2s::Counters& c) -> metrics::Counter& { return c.tls_failures; }));

  out.family("tern_event_loop_lag_seconds",
             "How late each worker's 250 ms probe timer fired: time its loop was held.",
             Type::Histogram);
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    out.histogram("tern_event_loop_lag_seconds",
                  {{"worker", worker_label(static_cast<unsigned>(w))}},
                  workers_[w]->loop_lag.snapshot(), 1e6);
  }

  // Per-session queues, over every worker.
  HistogramSnapshot output = metrics::empty_histogram(metrics::kBytes);
  HistogramSnapshot unacked = metrics::empty_histogram(metrics::kItems);
  std::uint64_t max_output = 0;
  std::uint64_t max_unacked = 0;
  for (const WorkerFigures& f : figures) {
    output.merge(f.output_bytes);
    unacked.merge(f.unacked);
    max_output = std::max(max_output, f.max_output_bytes);
    max_unacked = std::max(max_unacked, f.max_unacked);
  }
  out.family("tern_session_output_queue_bytes",
             "Output waiting in ternd per client session (not yet taken by the kernel).",
             Type::Histogram);
  out.histogram("tern_session_output_queue_bytes", {}, output);
  out.family("tern_session_output_queue_max_bytes",
             "The largest output waiting for one client session.", Type::Gauge);
  out.sample("tern_session_output_queue_max_bytes", {}, static_cast<double>(max_output));
  out.family("tern_session_unacked_stanzas",
             "Stanzas sent per session that the client has not acknowledged (XEP-0198).",
             Type::Histogram);
  out.histogram("tern_session_unacked_stanzas", {}, unacked);
  out.family("tern_session_unacked_max_stanzas", "The most unacknowledged stanzas of one session.",
             Type::Gauge);
  out.sample("tern_session_unacked_max_stanzas", {}, static_cast<double>(max_unacked));

  std::map<std::string, HistogramSnapshot> handlers;
  for (const WorkerFigures& f : figures) {
    for (const auto& [module, histogram] : f.module_handlers) {
      handlers[module].merge(histogram);
    }
  }
  out.family("tern_module_handler_seconds",
             "Time a module's IQ handlers and stanza hooks took per call, on the worker's loop.",
             Type::Histogram);
  for (const auto& [module, histogram] : handlers) {
    out.histogram("tern_module_handler_seconds", {{"module", module}}, histogram, 1e6);
  }

  // The store and its writer.
  out.family("tern_store_writer_queue_length", "Writes waiting for the store's writer thread.",
             Type::Gauge);
  out.sample("tern_store_writer_queue_length", {}, static_cast<double>(writer_->queued()));
  out.family("tern_store_writer_queue_length_seen",
             "Writes waiting for the writer, seen each time it takes a batch.", Type::Histogram);
  out.histogram("tern_store_writer_queue_length_seen", {}, writer_->queue_lengths().snapshot());
  out.family("tern_store_commit_batch_size", "Writes committed together in one transaction.",
             Type::Histogram);
  out.histogram("tern_store_commit_batch_size", {}, writer_->batch_sizes().snapshot());
  out.family("tern_store_commit_duration_seconds",
             "Time of one commit: its writes and the sync to disk.", Type::Histogram);
  out.histogram("tern_store_commit_duration_seconds", {}, writer_->commit_micros().snapshot(), 1e6);
  out.family("tern_store_write_wait_seconds",
             "Time a write waited in the writer's queue before its commit began.", Type::Histogram);
  out.histogram("tern_store_write_wait_seconds", {}, writer_->wait_micros().snapshot(), 1e6);
  const storage::StoreUse use = store_->use();
  out.family("tern_store_map_used_bytes", "LMDB map in use (pages, free ones LMDB reuses too).",
             Type::Gauge);
  out.sample("tern_store_map_used_bytes", {}, static_cast<double>(use.map_used));
  out.family("tern_store_map_size_bytes", "LMDB map size now.", Type::Gauge);
  out.sample("tern_store_map_size_bytes", {}, static_cast<double>(use.map_size));
  out.family("tern_store_map_limit_bytes",
             "What the LMDB map may grow to ([storage] max_map_size).", Type::Gauge);
  out.sample("tern_store_map_limit_bytes", {}, static_cast<double>(use.map_limit));
  out.family("tern_store_disk_free_bytes", "Free space on the store's filesystem.", Type::Gauge);
  out.sample("tern_store_disk_free_bytes", {}, static_cast<double>(use.disk_free));
  out.family("tern_store_short_of_room", "1 while offline storage is refused for lack of room.",
             Type::Gauge);
  out.sample("tern_store_short_of_room", {},
             store_short_of_room_.load(std::memory_order_relaxed) ? 1 : 0);

  out.family("tern_alert_firing", "1 while an alert of [alerts] is past its threshold.",
             Type::Gauge);
  if (alerts_) {
    for (std::size_t i = 0; i < Alerts::kCount; ++i) {
      const auto id = static_cast<Alerts::Id>(i);
      if (alerts_->enabled(id)) {
        out.sample("tern_alert_firing", {{"alert", Alerts::kNames[i]}},
                   alerts_->firing(id) ? 1 : 0);
      }
    }
  }

  {
    std::lock_guard lock(module_gauges_mutex_);
    for (const auto& [name, gauge] : module_gauges_) {
      out.family(name, gauge.help, Type::Gauge);
      out.sample(name, {}, gauge.read());
    }
  }

  // Every refusal is logged (event limit.refused or store.refused); counted here by what was
  // refused, the log line's fixed message, so that rate-limited lines still count.
  out.family("tern_refusals_total",
             "Inputs refused (limits, storage), by component and reason (the log message).",
             Type::Counter);
  for (const log::EventCount& e : log::event_counts()) {
    if (e.event == "limit.refused" || e.event == "store.refused") {
      out.sample("tern_refusals_total",
                 {{"component", e.component}, {"event", e.event}, {"reason", e.message}},
                 static_cast<double>(e.count));
    }
  }
  return out.take();
}

void Server::add_module_gauge(const std::string& name, const std::string& help,
                              std::function<double()> read) {
  std::lock_guard lock(module_gauges_mutex_);
  module_gauges_[name] = ModuleGauge{help, std::move(read)};
}

ActivitySample Server::sample_activity() const {
  ActivitySample s;
  for (const auto& ws : workers_) {
    const c2s::Counters& c = ws->counters;
    s.worker_sessions.push_back(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, c.connections.value())));
    for (std::size_t k = 0; k < c2s::Counters::kKinds.size(); ++k) {
      s.stanzas_in += c.stanzas_in[k].value();
      s.stanzas_out += c.stanzas_out[k].value();
    }
    s.bytes_in += c.bytes_in.value();
    s.bytes_out += c.bytes_out.value();
    for (std::size_t m = 0; m < c2s::Counters::kMechanisms.size(); ++m) {
      s.logins += c.logins[m].value();
      s.login_failures += c.logins_refused[m].value() + c.logins_failed_other[m].value();
    }
    const HistogramSnapshot lag = ws->loop_lag.snapshot();
    s.lag_sum_us += lag.sum;
    s.lag_count += lag.count();
  }
  s.writer_queue = writer_->queued();
  const HistogramSnapshot commits = writer_->commit_micros().snapshot();
  s.commits = commits.count();
  s.commit_sum_us = commits.sum;
  return s;
}

HttpRoute Server::metrics_route() {
  HttpRoute route;
  route.path = config_.metrics_path;
  route.methods = {"GET"};
  route.handler = [this](const std::shared_ptr<HttpExchange>& exchange) {
    const HttpRequest& request = exchange->request();
    const auto& allow = config_.metrics_allow;
    const bool anyone = std::find(allow.begin(), allow.end(), "*") != allow.end();
    if (!anyone && std::find(allow.begin(), allow.end(), request.peer) == allow.end()) {
      kLog.warn("limit.refused", "metrics refused: address not in [metrics] allow",
                {{"peer", request.peer}});
      return exchange->respond(HttpResponse::text(403, "Forbidden\n"));
    }
    // Through a reverse proxy on this machine every client comes from 127.0.0.1: a forwarded
    // request is someone else's, whatever the peer address says.
    if (!anyone && (request.has_header("forwarded") || request.has_header("x-forwarded-for"))) {
      kLog.warn("limit.refused", "metrics refused: a forwarded request", {{"peer", request.peer}});
      return exchange->respond(HttpResponse::text(403, "Forbidden\n"));
    }
    unsigned origin = 0;
    for (unsigned i = 0; i < workers_.size(); ++i) {
      if (workers_[i]->worker.on_this_thread()) {
        origin = i;
      }
    }
    // Held until the figures come back (a closed connection makes respond() do nothing).
    scrape(origin, [exchange](std::string text) {
      HttpResponse response;
      response.body = std::move(text);
      response.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      response.header("Cache-Control", "no-store");
      exchange->respond(std::move(response));
    });
  };
  return route;
}

}  // namespace tern::core
