// SPDX-License-Identifier: MIT
// BoshSession: one XMPP over BOSH session (XEP-0124, XEP-0206) on the worker that created it.
//
// The session logic is the c2s connection's, unchanged: the bridge holds one end of a Unix socket
// pair and hands the other to a net::Connection in WebSocket mode, exactly as an upgraded
// WebSocket is handed over (SASL, bind, stream management, limits, caps and timeouts are the
// same code). The bridge speaks RFC 7395 framing to it: each child of a request's <body/> goes in
// as one message, <open/> for the session's start and each restart, <close/> for a terminate, a
// ping for an empty request (the connection's idle deadline counts it as activity); each message
// out is one element, collected until a request is there to carry them.
//
// BOSH itself: requests are taken in rid order (an early one waits for the gap, one past the
// window ends the session), at most `hold` wait for output, each for at most `wait` seconds; a
// request repeating an answered rid gets the same answer again (XEP-0124 §14.3: a response lost
// with its HTTP connection is not lost); with no request held for `inactivity` seconds the
// session is gone: the c2s connection sees its peer go, and a session with stream management
// waits to be resumed, as after a lost TCP connection. A session created over TLS takes no plain
// request.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/http/bosh_body.h"
#include "core/net/connection.h"
#include "core/net/websocket.h"

namespace tern::core::http {

struct BoshOptions {
  std::string path = "/http-bind";
  std::uint64_t max_wait_s = 60;
  std::uint64_t inactivity_s = 60;
  std::uint64_t max_hold = 1;
  std::size_t max_message_bytes = 1 << 20;  // one element (as for WebSocket)
  // Output waiting for a request beyond which the bridge stops reading the c2s connection, whose
  // own output limits then apply (c2s.max_output_bytes, c2s.write_timeout).
  std::size_t max_pending_bytes = 1 << 20;
};

class BoshSession {
 public:
  // Answers one request (status and body), on this session's worker.
  using Answer = std::function<void(int status, std::string body)>;
  struct Start {
    std::string sid;
    std::string label;  // "WORKER.bN" for the log (the sid is a credential: never logged)
    std::string ip;     // for ConnectionAdmission
    std::string peer;   // "address:port"
    bool secure = false;
  };

  // Creates the session for a creation request (`request` has no sid), or answers it with a
  // terminate (the address or the server holds its connection cap) and returns nullptr. `gone`
  // runs once the session is over for requests (its sid must be forgotten).
  static BoshSession* create(uv_loop_t* loop, net::ConnectionEnv& env, const BoshOptions& options,
                             Start start, const BoshRequest& request, Answer answer,
                             std::function<void()> gone);

  // A request of this session (`secure`: it came over TLS or a trusted proxy).
  void on_request(BoshRequest request, bool secure, Answer answer);
  // Server shutdown: the handles close at once, nothing more is answered.
  void shutdown();

 private:
  struct Pending {
    std::uint64_t rid = 0;
    Answer answer;
    std::uint64_t since_ms = 0;
  };
  struct Early {
    BoshRequest request;
    Answer answer;
  };
  class Frames;  // the decoder's sink

  BoshSession(uv_loop_t* loop, const BoshOptions& options, Start start, std::function<void()> gone);
  ~BoshSession() = default;

  // Takes a request in rid order: payloads to the c2s connection, then held for output.
  void process(const BoshRequest& request, Answer answer);
  // Answers held requests while there is output for them (or more are held than `hold`).
  void deliver();
  // Answers the oldest held request with the output collected so far.
  void answer_oldest();
  void reply(Pending& pending, std::string body);
  // The c2s connection is gone (its <close/>, a stream error, or end of file): held requests get
  // the terminate; a later one gets it too if none is held.
  void on_connection_ended();
  // Over for requests: the sid is forgotten, the bridge's end of the socket pair is shut down
  // (the c2s connection reads end of file after what was written) and the handles close.
  void finish(std::string_view reason);
  void send_frame(net::WebSocketOpcode opcode, std::string_view payload);
  void send_open(std::string_view to, std::string_view lang);
  // How long the oldest held request may wait.
  std::uint64_t hold_limit_ms() const;
  void rearm_timer();
  void on_timer();
  void start_reading();
  void close_handles();
  std::uint64_t now_ms() const { return uv_now(pipe_.loop); }

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

  const BoshOptions& options_;
  Start start_;
  std::function<void()> gone_;
  uv_pipe_t pipe_{};
  uv_timer_t timer_{};
  uv_shutdown_t shutdown_request_{};
  int handles_open_ = 0;
  net::WebSocketDecoder decoder_;
  std::uint64_t wait_s_ = 60;
  std::uint64_t hold_ = 1;
  std::string to_;
  std::string lang_;
  std::uint64_t next_rid_ = 0;  // the rid taken next
  std::deque<Pending> held_;
  std::map<std::uint64_t, Early> early_;
  std::deque<std::pair<std::uint64_t, std::string>> answered_;  // the last answers, by rid
  std::string output_;  // elements from the c2s connection, not answered yet
  std::string stream_id_;
  std::string stream_from_;
  std::string condition_;  // why the c2s connection ended ("remote-stream-error"), if not clean
  std::uint64_t last_activity_ms_ = 0;
  bool created_ = false;           // the creation request has been answered
  bool awaiting_features_ = true;  // after <open/>: the answer waits for the stream features
  bool connection_ended_ = false;  // the c2s connection is gone
  bool closed_cleanly_ = false;    // with its <close/>
  bool finished_ = false;          // over for requests
  bool reading_ = false;
  bool pipe_open_ = false;
};

}  // namespace tern::core::http
