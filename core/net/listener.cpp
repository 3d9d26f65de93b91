// SPDX-License-Identifier: MIT
// SO_REUSEPORT listening sockets on libuv 1.44.
#include "core/net/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

namespace tern::core::net {

Result<Listener*, std::string> Listener::open(uv_loop_t* loop, const ListenAddress& address,
                                              OnConnection on_connection) {
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
  auto* listener = new Listener();
  listener->on_connection_ = std::move(on_connection);
  if ((rc = uv_tcp_init_ex(loop, &listener->tcp_, v6 ? AF_INET6 : AF_INET)) != 0) {
    delete listener;
    return Err("socket for " + where + ": " + uv_strerror(rc));
  }
  listener->tcp_.data = listener;
  uv_os_fd_t fd = -1;
  int on = 1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&listener->tcp_), &fd) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    listener->close();
    return Err("SO_REUSEPORT on " + where + " failed");
  }
  if ((rc = uv_tcp_bind(&listener->tcp_, reinterpret_cast<sockaddr*>(&storage), 0)) != 0 ||
      (rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->tcp_), 4096,
                      &Listener::on_connection)) != 0) {
    listener->close();
    return Err("cannot listen on " + where + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(&listener->tcp_, reinterpret_cast<sockaddr*>(&bound), &length);
  listener->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return listener;
}

void Listener::on_connection(uv_stream_t* server, int status) {
  if (status == 0) {
    static_cast<Listener*>(server->data)->on_connection_(server);
  }
}

void Listener::close() {
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
           [](uv_handle_t* handle) { delete static_cast<Listener*>(handle->data); });
}

}  // namespace tern::core::net
