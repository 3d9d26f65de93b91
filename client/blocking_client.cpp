// SPDX-License-Identifier: MIT
#include "client/blocking_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace tern::client {

using Clock = std::chrono::steady_clock;

namespace {

int poll_timeout_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

BlockingClient::BlockingClient(ClientOptions options, const tls::TlsContext* tls)
    : stream_(std::move(options), tls) {}

BlockingClient::~BlockingClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool BlockingClient::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &addresses) != 0) {
    stream_.on_disconnected();
    return false;
  }
  for (addrinfo* a = addresses; a != nullptr && fd_ < 0; a = a->ai_next) {
    fd_ = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ >= 0 && ::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd_ < 0) {
    stream_.on_disconnected();
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  stream_.start(out_);
  if (!flush()) {
    return false;
  }
  while (stream_.state() == ClientState::Negotiating) {
    if (!pump(deadline)) {
      break;
    }
  }
  return stream_.ready();
}

bool BlockingClient::send(const xmpp::Element& element) {
  stream_.send(element, out_);
  return flush();
}

bool BlockingClient::send_xml(std::string_view xml) {
  stream_.send_xml(xml, out_);
  return flush();
}

xmpp::StanzaPtr BlockingClient::next(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto& received = stream_.received();
  while (received.empty()) {
    if (!pump(deadline)) {
      break;
    }
  }
  if (received.empty()) {
    return nullptr;
  }
  xmpp::StanzaPtr first = std::move(received.front());
  received.pop_front();
  return first;
}

bool BlockingClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed()) {
    if (!pump(deadline) && !closed()) {
      return false;
    }
  }
  return true;
}

void BlockingClient::close() {
  if (fd_ < 0) {
    return;
  }
  stream_.close(out_);
  flush();
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  while (!eof_ && pump(deadline)) {
  }
  disconnect();
}

void BlockingClient::disconnect() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  eof_ = true;
  stream_.on_disconnected();
}

bool BlockingClient::closed() const {
  return eof_ || stream_.state() == ClientState::Closed || stream_.state() == ClientState::Failed;
}

bool BlockingClient::pump(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) {
    return false;
  }
  pollfd p{fd_, POLLIN, 0};
  const int ready = poll(&p, 1, poll_timeout_ms(deadline));
  if (ready <= 0) {
    return false;
  }
  char buffer[16384];
  const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      return true;
    }
    eof_ = true;
    stream_.on_disconnected();
    return false;
  }
  stream_.on_received(std::string_view(buffer, static_cast<std::size_t>(n)), out_);
  flush();
  return true;
}

bool BlockingClient::flush() {
  std::size_t sent = 0;
  while (sent < out_.size() && fd_ >= 0) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      out_.clear();
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  out_.clear();
  return fd_ >= 0;
}

}  // namespace tern::client
