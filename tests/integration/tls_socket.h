// SPDX-License-Identifier: MIT
// A blocking client socket for integration tests: TCP to loopback, optionally TLS through Tern's
// own TlsTransport (offering the given ALPN protocols), bytes in and out with a time limit. The
// stream on top (XML or binary) is the test client's business.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/tls_context.h"
#include "tls/tls_transport.h"

namespace tern::testing {

class TlsSocket {
 public:
  explicit TlsSocket(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~TlsSocket() { close(fd_); }
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  // Starts the TLS handshake offering `alpn` (preferred first; empty: no ALPN). It completes
  // inside the next receive() calls.
  void start_tls(const std::vector<std::string>& alpn = {}) {
    tls::TlsClientOptions options;
    options.preferred_alpn = alpn;
    context_ = std::make_unique<tls::TlsContext>(tls::TlsContext::client(options).value());
    tls_ = tls::TlsTransport::client(*context_, "localhost").value();
    std::string hello;
    ASSERT_TRUE(tls_->start(hello).ok());
    send_raw(hello);
  }
  tls::TlsTransport* tls() { return tls_.get(); }

  // Sends `bytes` (through TLS once started).
  void send(std::string_view bytes) {
    std::string wire;
    if (tls_) {
      ASSERT_TRUE(tls_->send(bytes, wire).ok());
    } else {
      wire = bytes;
    }
    send_raw(wire);
  }
  // Appends what arrives within `timeout_ms` to `out` (decrypted); false when nothing came in
  // time or the connection is closed (see closed()).
  bool receive(std::string& out, int timeout_ms = 5000) {
    if (closed_) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    std::string_view wire(buf, static_cast<std::size_t>(n));
    if (!tls_) {
      out.append(wire);
      return true;
    }
    std::string reply;
    if (!tls_->on_received(wire, out, reply)) {
      closed_ = true;
      return false;
    }
    if (!reply.empty()) {
      send_raw(reply);
    }
    if (tls_->peer_closed()) {
      closed_ = true;
    }
    return true;
  }
  // The peer closed the connection (EOF, TLS close_notify or a TLS error).
  bool closed() const { return closed_; }
  // Drops the connection without a stream close or close_notify (a phone losing its network).
  void drop() {
    shutdown(fd_, SHUT_RDWR);
    closed_ = true;
  }

 private:
  void send_raw(std::string_view wire) {
    ASSERT_EQ(::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(wire.size()));
  }

  int fd_ = -1;
  bool closed_ = false;
  std::unique_ptr<tls::TlsContext> context_;
  std::unique_ptr<tls::TlsTransport> tls_;
};

}  // namespace tern::testing
