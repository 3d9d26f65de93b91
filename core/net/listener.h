// SPDX-License-Identifier: MIT
// Listener: a listening TCP socket on one worker's loop. Every worker opens its own socket on the
// same address with SO_REUSEPORT, so the kernel spreads new connections over the workers with no
// shared accept queue. libuv 1.44 has no UV_TCP_REUSEPORT, so the option is set on the socket
// between uv_tcp_init_ex and bind.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/config/config.h"
#include "xmpp/result.h"

namespace tern::core::net {

class Listener {
 public:
  // Called on the loop thread for each pending connection; the callee accepts it.
  using OnConnection = std::function<void(uv_stream_t* listener)>;

  // Binds and listens; address.port 0 picks a free port (see port()). The listener belongs to
  // the loop (its handle does): it is freed by close(), never by delete.
  static Result<Listener*, std::string> open(uv_loop_t* loop, const ListenAddress& address,
                                             OnConnection on_connection);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::uint16_t port() const { return port_; }
  // Stops listening; the listener is freed once the loop has closed the handle.
  void close();

 private:
  Listener() = default;
  ~Listener() = default;
  static void on_connection(uv_stream_t* server, int status);

  uv_tcp_t tcp_{};
  OnConnection on_connection_;
  std::uint16_t port_ = 0;
};

}  // namespace tern::core::net
