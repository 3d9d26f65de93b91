// SPDX-License-Identifier: MIT
// Server::WorkerFigures: what a walk over one worker's sessions finds (Server::gather), for
// /metrics, the alerts and `ternctl status`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/server/server.h"
#include "metrics/counter.h"

namespace tern::core {

// Session states as /metrics names them (c2s::SessionState, plus detached), stream formats and
// transports (http: WebSocket and BOSH).
inline constexpr std::array<std::string_view, 6> kSessionStates = {
    "negotiating", "authenticated", "established", "resuming", "closing", "detached"};
inline constexpr std::size_t kEstablishedState = 2;
inline constexpr std::size_t kDetachedState = 5;
inline constexpr std::array<std::string_view, 2> kStreamFormats = {"xml", "binary"};
inline constexpr std::array<std::string_view, 2> kTransports = {"tcp", "http"};

struct Server::WorkerFigures {
  // By state, stream format and transport.
  std::array<std::array<std::array<std::uint64_t, kTransports.size()>, kStreamFormats.size()>,
             kSessionStates.size()>
      sessions{};
  metrics::HistogramSnapshot output_bytes = metrics::empty_histogram(metrics::kBytes);
  metrics::HistogramSnapshot unacked = metrics::empty_histogram(metrics::kItems);
  std::uint64_t max_output_bytes = 0;
  std::uint64_t max_unacked = 0;
  std::uint64_t http_connections = 0;
  std::uint64_t recent_max_lag_us = 0;  // for alerts only (Server::gather)
  // Each module's handler time (IQ handlers and stanza hooks), every host of the worker.
  std::map<std::string, metrics::HistogramSnapshot> module_handlers;

  // Sessions in `state` (an index of kSessionStates), every format and transport.
  std::uint64_t in_state(std::size_t state) const {
    std::uint64_t n = 0;
    for (const auto& by_format : sessions[state]) {
      for (std::uint64_t count : by_format) {
        n += count;
      }
    }
    return n;
  }
};

}  // namespace tern::core
