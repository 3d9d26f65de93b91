// SPDX-License-Identifier: MIT
// Helpers for the TLS tests: a temporary directory, and two transports joined in memory by
// pumping each one's output into the other, in slices as small as one byte.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tls/tls_transport.h"

namespace tern::tls::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/tern-tls-XXXXXX";
    EXPECT_NE(mkdtemp(pattern), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One end of a connection: its transport, the plaintext it received, the bytes it has to send,
// and the first error it returned.
struct Peer {
  std::unique_ptr<TlsTransport> tls;
  std::string plain;
  std::string out;
  std::optional<TransportError> error;

  void send(std::string_view text) {
    auto sent = tls->send(text, out);
    if (!sent.ok() && !error) {
      error = sent.error();
    }
  }
};

// Hands `from`'s pending bytes to `to`, `slice` bytes per call (0: all in one call).
inline void deliver(Peer& from, Peer& to, std::size_t slice = 0) {
  std::string bytes;
  bytes.swap(from.out);
  std::string_view rest = bytes;
  while (!rest.empty() && !to.error) {
    const std::size_t n = slice == 0 ? rest.size() : std::min(slice, rest.size());
    auto received = to.tls->on_received(rest.substr(0, n), to.plain, to.out);
    if (!received.ok()) {
      to.error = received.error();
    }
    rest.remove_prefix(n);
  }
}

// Delivers both ways until neither side has anything more to send.
inline void pump(Peer& a, Peer& b, std::size_t slice = 0) {
  for (int round = 0; round < 100 && (!a.out.empty() || !b.out.empty()); ++round) {
    deliver(a, b, slice);
    deliver(b, a, slice);
  }
}

}  // namespace tern::tls::testing
