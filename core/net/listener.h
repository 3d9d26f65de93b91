// SPDX-License-Identifier: MIT
// Listener: a listening TCP socket on one worker's loop. Every worker opens its own socket on the
// same address with SO_REUSEPORT, so the kernel spreads new connections over the workers with no
// shared accept queue.
//
// It accepts by itself (a uv_poll_t on the socket and accept4()) rather than through uv_listen,
// so that it can stop: when the server holds as many connections as it admits, or accept() fails
// for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), it stops polling and tries
// again after a pause, instead of spinning on a socket that stays readable. Pending connections
// wait in the kernel's backlog meanwhile; the loop keeps serving every other connection and
// timer, and the worker still stops when asked. At most kAcceptBatch connections are accepted per
// turn of the loop.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/net/admission.h"
#include "xmpp/result.h"

namespace tern::core::net {

class Listener {
 public:
  // Called on the loop thread with each accepted socket (non-blocking, close-on-exec) and its
  // peer's address; the callee owns the descriptor.
  using OnConnection = std::function<void(int fd, const sockaddr_storage& peer)>;

  // Binds and listens; address.port 0 picks a free port (see port()). The listener belongs to
  // the loop (its handles do): it is freed by close(), never by delete. While `admission` is
  // full, nothing is accepted.
  static Result<Listener*, std::string> open(uv_loop_t* loop, const ListenAddress& address,
                                             const ConnectionAdmission& admission,
                                             std::string_view kind, OnConnection on_connection);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::uint16_t port() const { return port_; }
  // Stops listening; the listener is freed once the loop has closed its handles.
  void close();

  static constexpr int kAcceptBatch = 64;
  // How long accepting pauses while the server is full, and after a descriptor or memory shortage
  // (doubling up to the maximum while it lasts).
  static constexpr std::uint64_t kFullRetryMs = 100;
  static constexpr std::uint64_t kShortageFirstPauseMs = 50;
  static constexpr std::uint64_t kShortageMaxPauseMs = 1000;

 private:
  explicit Listener(const ConnectionAdmission& admission) : admission_(admission) {}
  ~Listener() = default;
  static void on_readable(uv_poll_t* poll, int status, int events);
  void accept_some();
  void pause(std::uint64_t milliseconds);

  const ConnectionAdmission& admission_;
  std::string name_;  // "starttls 127.0.0.1:5222" (the bound port), for the log
  int fd_ = -1;
  uv_poll_t poll_{};
  uv_timer_t resume_timer_{};
  int handles_open_ = 0;
  bool closing_ = false;
  bool paused_ = false;
  std::uint64_t shortage_pause_ms_ = 0;  // 0: no shortage since the last accept
  OnConnection on_connection_;
  std::uint16_t port_ = 0;
};

// "203.0.113.7" or "2001:db8::1" (no port): the key of per-address limits.
std::string ip_text(const sockaddr_storage& address);
// "203.0.113.7:5222" or "[2001:db8::1]:5222".
std::string address_text(const sockaddr_storage& address);

}  // namespace tern::core::net
