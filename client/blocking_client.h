// SPDX-License-Identifier: MIT
// BlockingClient: a ClientStream over one blocking TCP socket, for code that reads best as a
// sequence of steps — the conformance runner and integration tests. Every wait has a deadline;
// nothing here blocks longer than the timeout it was given.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "client/client_stream.h"
#include "xmpp/result.h"

namespace tern::client {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5222;
};

class BlockingClient {
 public:
  BlockingClient(ClientOptions options, const tls::TlsContext* tls);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Connects and negotiates as far as the options say. On failure the reason is in failure().
  bool connect(const Endpoint& endpoint, std::chrono::milliseconds timeout);

  // Sends one element or XML text (once connected).
  bool send(const xmpp::Element& element);
  bool send_xml(std::string_view xml);

  // The next top-level element from the server, or nullptr when none came within `timeout`
  // or the stream ended (see closed()).
  xmpp::StanzaPtr next(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the server to end the stream or the connection.
  bool wait_closed(std::chrono::milliseconds timeout);

  // Ends the stream politely (</stream:stream>) and waits briefly for the server's end.
  void close();
  // Drops the TCP connection without closing the stream, as a phone losing its network does.
  void disconnect();

  bool closed() const;
  const std::string& failure() const { return stream_.failure(); }
  ClientStream& stream() { return stream_; }

 private:
  // Reads once (waiting until `deadline`); false on timeout or when the connection ended.
  bool pump(std::chrono::steady_clock::time_point deadline);
  bool flush();

  ClientStream stream_;
  int fd_ = -1;
  bool eof_ = false;
  std::string out_;
};

}  // namespace tern::client
