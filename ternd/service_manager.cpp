// SPDX-License-Identifier: MIT
#include "ternd/service_manager.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace tern::ternd {

void notify_ready() {
  sd_notify(0, "READY=1\nSTATUS=serving");
}

void notify_reloading() {
  sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void notify_stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=stopping: closing sessions, committing writes");
}

void notify_status(const std::string& status) {
  sd_notify(0, ("STATUS=" + status).c_str());
}

Watchdog::Watchdog(std::function<bool(std::chrono::milliseconds)> alive)
    : alive_(std::move(alive)) {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    thread_ = std::thread([this, usec] { run(std::chrono::microseconds(usec)); });
  }
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Watchdog::run(std::chrono::microseconds interval) {
  const auto period = interval / 2;
  // A worker's loop turns at least once a second (its tick): late by more than the period
  // means it is stuck.
  const auto stale = std::chrono::duration_cast<std::chrono::milliseconds>(period) +
                     std::chrono::milliseconds(1000);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    if (alive_(stale)) {
      sd_notify(0, "WATCHDOG=1");
    }
  }
}

}  // namespace tern::ternd
