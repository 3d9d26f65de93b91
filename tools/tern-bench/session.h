// SPDX-License-Identifier: MIT
// One XMPP client session on a libuv loop: a socket driving a client::ClientStream. The stream
// does the protocol; this file moves bytes. Writes are batched: everything a session is asked to
// send during one turn of the loop goes out in one write, in the loop's check phase (after all
// reads of that turn were handled), so a generator answering many messages at once makes one
// syscall per socket, not one per stanza.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/client_stream.h"
#include "tls/tls_context.h"

namespace tern::bench {

class Session;

// What a scenario hears from its sessions.
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  virtual void on_ready(Session& session) = 0;  // negotiation done (bound, or as asked)
  virtual void on_stanza(Session& session, const xmpp::Element& stanza) = 0;
  virtual void on_ended(Session& session) = 0;  // failed or closed, once
};

// The loop and what every session of one process shares.
class SessionLoop {
 public:
  SessionLoop(const tls::TlsContext* tls, SessionListener& listener);
  ~SessionLoop();
  SessionLoop(const SessionLoop&) = delete;
  SessionLoop& operator=(const SessionLoop&) = delete;

  uv_loop_t* uv() { return &loop_; }
  const tls::TlsContext* tls() const { return tls_; }
  SessionListener& listener() { return listener_; }
  // One read buffer for all sessions: the loop runs one callback at a time.
  char* read_buffer() { return read_buffer_.data(); }
  std::size_t read_buffer_size() const { return read_buffer_.size(); }
  void mark_dirty(Session* session) { dirty_.push_back(session); }

 private:
  static void on_check(uv_check_t* check);

  uv_loop_t loop_{};
  uv_check_t flusher_{};
  const tls::TlsContext* tls_;
  SessionListener& listener_;
  std::vector<char> read_buffer_;
  std::vector<Session*> dirty_;
  std::vector<Session*> flushing_;
};

class Session {
 public:
  Session(SessionLoop& loop, std::uint64_t index, client::ClientOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects to `server`, from `source` when given (port chosen at connect time, so many
  // sessions share a source address). False if the socket could not even be set up.
  bool connect(const sockaddr_in& server, const sockaddr_in* source);
  // Queues XML text (the caller vouches for it) for the next flush.
  void send_xml(std::string_view xml);
  // Ends the session: </stream:stream> when `gracefully`, then the socket closes.
  void close(bool gracefully);

  std::uint64_t index() const { return index_; }
  const client::ClientStream& stream() const { return stream_; }
  bool ended() const { return ended_; }
  std::uint64_t started_ns() const { return started_ns_; }

  // Scenario bookkeeping, kept here to avoid a side table per session.
  std::uint64_t peer = 0;      // chat: the other session of the pair
  std::uint64_t sequence = 0;  // next message number
  bool up = false;             // logged in (initial presence answered)
  bool finished = false;       // closed on purpose by its scenario: its end is no failure
  std::string message_prefix;  // chat: "<message to='PEER' type='chat' id='"

 private:
  friend class SessionLoop;
  static void on_connect(uv_connect_t* request, int status);
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buffer);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer);
  static void on_write(uv_write_t* request, int status);

  void after_input();
  void flush();
  void end();
  void mark_dirty();

  SessionLoop& loop_;
  std::uint64_t index_;
  bool wants_binary_;  // --tls binary: a session that fell back to XML failed
  client::ClientStream stream_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_request_{};
  uv_write_t write_request_{};
  std::string pending_;    // bytes waiting for the next flush
  std::string in_flight_;  // bytes of the write in progress
  std::uint64_t started_ns_ = 0;
  bool connected_ = false;
  bool writing_ = false;
  bool dirty_ = false;
  bool ready_seen_ = false;
  bool ended_ = false;
  bool handle_open_ = false;
  bool closing_ = false;  // close after the last write
};

}  // namespace tern::bench
