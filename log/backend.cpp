// SPDX-License-Identifier: MIT
// spdlog underneath: one async logger on a one-thread pool with a bounded queue
// (overrun_oldest: a full queue drops its oldest line rather than block the caller), a sink for
// stderr or a file, and the reporter thread for suppressed and dropped lines.
#include "log/backend.h"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "log/internal.h"
#include "log/line_format.h"
#include "log/rate_limiter.h"

namespace tern::log {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

spdlog::level::level_enum spdlog_level(Level level) {
  switch (level) {
    case Level::Debug:
      return spdlog::level::debug;
    case Level::Info:
      return spdlog::level::info;
    case Level::Warn:
      return spdlog::level::warn;
    default:
      return spdlog::level::err;
  }
}

class Backend {
 public:
  Backend(const Options& options, std::shared_ptr<spdlog::sinks::sink> sink)
      : options_(options),
        limiter_(options.rate_limit, options.rate_burst),
        pool_(std::make_shared<spdlog::details::thread_pool>(options.queue_lines, 1)),
        logger_(std::make_shared<spdlog::async_logger>(
            "tern", std::move(sink), pool_, spdlog::async_overflow_policy::overrun_oldest)),
        reporter_([this] { report_every_second(); }) {
    logger_->set_pattern("%v");                // the line is complete: format_line made it
    logger_->set_level(spdlog::level::trace);  // levels are ours, per component
    logger_->flush_on(spdlog::level::trace);   // each line reaches the file as it is written
  }
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  ~Backend() { shutdown(); }

  void submit(Level level, std::string_view component, std::string_view event,
              std::string_view message, Fields fields) {
    if (!limiter_.admit(component, event, steady_clock::now())) {
      return;
    }
    write(Event{system_clock::now(), level, component, event, message,
                std::span<const Field>(fields.begin(), fields.size())});
  }

  // Stops the reporter (after its last report) and writes everything queued.
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    wake_.notify_all();
    reporter_.join();
    report();  // what was suppressed or dropped since the reporter's last turn
    logger_->flush();
    // The pool's destructor queues a stop behind every waiting line and joins the thread.
    pool_.reset();
    for (const auto& sink : logger_->sinks()) {
      sink->flush();
    }
  }

 private:
  void write(const Event& event) {
    thread_local std::string line;
    line.clear();
    format_line(options_.format, event, line);
    logger_->log(spdlog_level(event.level), spdlog::string_view_t(line.data(), line.size()));
  }

  void report_every_second() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      report();
      lock.lock();
    }
  }

  // What the rate limit suppressed and the full queue dropped since the last report.
  void report() {
    static const Logger self("log");
    if (!self.enabled(Level::Warn)) {
      return;
    }
    for (const RateLimiter::Suppressed& s : limiter_.take_suppressed()) {
      Field fields[] = {{"component", s.component},
                        {"kind", s.event},
                        {"count", s.count},
                        {"per_second", static_cast<std::int64_t>(options_.rate_limit)}};
      write(Event{system_clock::now(), Level::Warn, "log", "log.suppressed",
                  "lines suppressed by the rate limit", fields});
    }
    std::size_t overruns = pool_->overrun_counter();
    if (overruns > reported_overruns_) {
      Field fields[] = {{"count", overruns - reported_overruns_},
                        {"queue_lines", options_.queue_lines}};
      reported_overruns_ = overruns;
      write(Event{system_clock::now(), Level::Warn, "log", "log.dropped",
                  "lines dropped: the log queue was full", fields});
    }
  }

  Options options_;
  RateLimiter limiter_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::async_logger> logger_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::size_t reported_overruns_ = 0;  // the reporter's, then shutdown()'s
  std::thread reporter_;               // last: it uses everything above
};

std::atomic<std::shared_ptr<Backend>>& current() {
  static auto* backend = new std::atomic<std::shared_ptr<Backend>>();  // outlives static loggers
  return *backend;
}

// Waits (briefly) for calls that took the backend just before it was withdrawn to finish.
void retire(const std::shared_ptr<Backend>& backend) {
  if (!backend) {
    return;
  }
  for (int i = 0; i < 1000 && backend.use_count() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  backend->shutdown();
}

}  // namespace

namespace detail {

void submit(Level level, std::string_view component, std::string_view event,
            std::string_view message, Fields fields) {
  if (std::shared_ptr<Backend> backend = current().load()) {
    backend->submit(level, component, event, message, fields);
  }
}

}  // namespace detail

std::optional<std::string> start(const Options& options) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  try {
    if (options.destination == "stderr") {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.destination, false);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return "log destination " + options.destination + ": " + e.what();
  }
  auto backend = std::make_shared<Backend>(options, std::move(sink));
  retire(current().exchange(std::move(backend)));
  detail::configure_levels(options);
  return std::nullopt;
}

void stop() {
  retire(current().exchange(nullptr));  // its last report still sees the levels
  detail::disable_levels();
}

void set_levels(const Options& options) {
  detail::configure_levels(options);
}

}  // namespace tern::log
