// SPDX-License-Identifier: MIT
// What ternd tells systemd (sd_notify, libsystemd): READY=1 once every listener is open,
// RELOADING=1 and READY=1 around a SIGHUP reload, STOPPING=1 when it stops, and WATCHDOG=1 while
// every worker's loop turns (a watchdog thread asks the server; a worker stuck in a callback
// stops the pings and systemd restarts the service after WatchdogSec). Without NOTIFY_SOCKET (not
// started by systemd) every call does nothing. etc/systemd/ternd.service is the unit.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tern::ternd {

void notify_ready();
void notify_reloading();
void notify_stopping();
// STATUS=: a line systemctl status shows.
void notify_status(const std::string& status);

// Pings the watchdog at half the interval systemd asks for (WATCHDOG_USEC), as long as
// `alive()` says the server's workers turn; does nothing when no watchdog is asked for.
class Watchdog {
 public:
  explicit Watchdog(std::function<bool(std::chrono::milliseconds)> alive);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void run(std::chrono::microseconds interval);

  std::function<bool(std::chrono::milliseconds)> alive_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tern::ternd
