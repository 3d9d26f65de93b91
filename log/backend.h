// SPDX-License-Identifier: MIT
// The writer behind every Logger: spdlog's asynchronous logger on one thread of its own, with a
// bounded queue that drops the oldest lines when full (overrun_oldest), so logging never blocks a
// worker. A reporter thread says once a second how many lines the rate limit suppressed and how
// many the full queue dropped. ternd starts it once the configuration is read and stops it last,
// after the server: stop() writes every queued line before it returns (SIGTERM loses nothing).
#pragma once

#include <optional>
#include <string>

#include "log/options.h"

namespace tern::log {

// Starts logging with `options` (a second start replaces the first). Returns the reason when the
// destination cannot be opened. Call it with the process's signal mask already set: the writer
// threads inherit it.
std::optional<std::string> start(const Options& options);
// Writes every queued line, then stops the threads; later lines are dropped. Idempotent.
void stop();
// While running: the levels of `options` (the level and the per-component ones) take effect at
// once; its other settings (format, destination, rate limit, queue) stay as started.
void set_levels(const Options& options);

// Stops logging when it goes out of scope (every way out of main).
class StopAtExit {
 public:
  StopAtExit() = default;
  ~StopAtExit() { stop(); }
  StopAtExit(const StopAtExit&) = delete;
  StopAtExit& operator=(const StopAtExit&) = delete;
};

}  // namespace tern::log
