// SPDX-License-Identifier: MIT
// SO_REUSEPORT listening sockets that accept by themselves and know when to stop (listener.h).
#include "core/net/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "log/logger.h"

namespace tern::core::net {
namespace {

const log::Logger kLog("c2s");

// strerror() is not thread-safe; every worker accepts.
std::string error_text(int error) {
  return std::generic_category().message(error);
}

}  // namespace

std::string ip_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr, host,
              sizeof host);
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, host,
              sizeof host);
  }
  return host;
}

std::string address_text(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return "[" + ip_text(address) +
           "]:" + std::to_string(ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port));
  }
  return ip_text(address) + ":" +
         std::to_string(ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port));
}

Result<Listener*, std::string> Listener::open(uv_loop_t* loop, const ListenAddress& address,
                                              const ConnectionAdmission& admission,
                                              std::string_view kind, OnConnection on_connection) {
  sockaddr_storage storage{};
  bool v6 = address.host.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(address.host.c_str(), address.port,
                            reinterpret_cast<sockaddr_in6*>(&storage))
              : uv_ip4_addr(address.host.c_str(), address.port,
                            reinterpret_cast<sockaddr_in*>(&storage));
  std::string where = address.host + ":" + std::to_string(address.port);
  if (rc != 0) {
    return Err("invalid listen address " + where + ": " + uv_strerror(rc));
  }
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Err("socket for " + where + ": " + error_text(errno));
  }
  int on = 1;
  socklen_t size = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    std::string error = error_text(errno);
    ::close(fd);
    return Err("socket options on " + where + ": " + error);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), size) != 0 || ::listen(fd, 4096) != 0) {
    std::string error = error_text(errno);
    ::close(fd);
    return Err("cannot listen on " + where + ": " + error);
  }
  sockaddr_storage bound{};
  socklen_t bound_size = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size);

  auto* listener = new Listener(admission);
  listener->fd_ = fd;
  listener->on_connection_ = std::move(on_connection);
  listener->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listener->name_ = std::string(kind) + " " + address.host + ":" + std::to_string(listener->port_);
  if (uv_poll_init_socket(loop, &listener->poll_, fd) != 0) {
    ::close(fd);
    delete listener;
    return Err("cannot poll the socket of " + where);
  }
  listener->poll_.data = listener;
  ++listener->handles_open_;
  uv_timer_init(loop, &listener->resume_timer_);  // cannot fail
  listener->resume_timer_.data = listener;
  ++listener->handles_open_;
  uv_poll_start(&listener->poll_, UV_READABLE, &Listener::on_readable);
  return listener;
}

void Listener::on_readable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Listener*>(poll->data);
  if (status == 0) {
    self->accept_some();
  }
}

void Listener::accept_some() {
  for (int i = 0; i < kAcceptBatch && !closing_; ++i) {
    if (admission_.full()) {
      if (!paused_) {
        kLog.warn("limit.refused", "connections paused: the server holds max_connections",
                  {{"listener", name_},
                   {"max_connections", static_cast<std::int64_t>(admission_.max_total())}});
      }
      return pause(kFullRetryMs);
    }
    sockaddr_storage peer{};
    socklen_t size = sizeof peer;
    int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        break;  // nothing more pending
      }
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) {
        continue;  // that one is gone; the next may be fine
      }
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        // Out of descriptors or memory: accept again only after a pause, longer while it lasts.
        shortage_pause_ms_ = shortage_pause_ms_ == 0
                                 ? kShortageFirstPauseMs
                                 : std::min(shortage_pause_ms_ * 2, kShortageMaxPauseMs);
        kLog.warn("limit.refused", "connections paused: accept failed",
                  {{"listener", name_},
                   {"error", error_text(error)},
                   {"pause_ms", static_cast<std::int64_t>(shortage_pause_ms_)}});
        return pause(shortage_pause_ms_);
      }
      kLog.error("conn.accept_failed", "accept failed",
                 {{"listener", name_}, {"error", error_text(error)}});
      return pause(kShortageMaxPauseMs);
    }
    shortage_pause_ms_ = 0;
    if (paused_) {
      paused_ = false;
      kLog.info("conn.accepting", "accepting connections again", {{"listener", name_}});
    }
    on_connection_(fd, peer);
  }
}

void Listener::pause(std::uint64_t milliseconds) {
  paused_ = true;
  uv_poll_stop(&poll_);
  uv_timer_start(
      &resume_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Listener*>(timer->data);
        if (!self->closing_) {
          uv_poll_start(&self->poll_, UV_READABLE, &Listener::on_readable);
        }
      },
      milliseconds, 0);
}

void Listener::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<Listener*>(handle->data);
    if (--self->handles_open_ == 0) {
      ::close(self->fd_);  // uv_poll_t does not own the socket
      delete self;
    }
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&resume_timer_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_closed);
}

}  // namespace tern::core::net
