// SPDX-License-Identifier: MIT
// AdminListener: the live admin interface's socket (docs/operations.md). A Unix socket, owner-only
// (mode 0600), on worker 0's loop. One request per connection: a line holding a JSON array of
// strings (["kick", "juliet@example.org", "spam"]), answered with one line holding a JSON object
// {"ok": true|false, "text": "..."}, then closed. Only ternd's own user and root may talk to it:
// the socket's mode keeps others out, and the peer's credentials (SO_PEERCRED) are checked too,
// so a socket made readable by mistake still refuses them. What the commands do is the
// handler's (core/server/admin_commands.cpp); this file is transport only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "xmpp/result.h"

namespace tern::core::admin {

// How a command answers: ok or not, and the text ternctl prints. Call it exactly once, on the
// listener's loop.
using Reply = std::function<void(bool ok, std::string text)>;
using Handler = std::function<void(std::vector<std::string> args, Reply reply)>;

class AdminListener {
 public:
  // Binds `path` (refusing one another ternd answers on; removing a stale one) on `loop`.
  static Result<std::unique_ptr<AdminListener>, std::string> open(uv_loop_t* loop, std::string path,
                                                                  Handler handler);
  ~AdminListener();
  AdminListener(const AdminListener&) = delete;
  AdminListener& operator=(const AdminListener&) = delete;

  // Stops listening, ends the connections and removes the socket file (on the loop's thread).
  void close();
  const std::string& path() const { return path_; }

  // The longest request line, the connections served at once, and how long one may take to send
  // its request.
  static constexpr std::size_t kMaxRequestBytes = 64 * 1024;
  static constexpr std::size_t kMaxConnections = 16;
  static constexpr std::uint64_t kRequestTimeoutMs = 10000;

 private:
  class Client;
  AdminListener(uv_loop_t* loop, std::string path, Handler handler);
  static void on_connection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  std::string path_;
  Handler handler_;
  uv_pipe_t pipe_{};
  bool closed_ = false;
  std::vector<Client*> clients_;
};

}  // namespace tern::core::admin
