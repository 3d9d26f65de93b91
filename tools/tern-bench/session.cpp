// SPDX-License-Identifier: MIT
#include "tools/tern-bench/session.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <utility>

namespace tern::bench {

SessionLoop::SessionLoop(const tls::TlsContext* tls, SessionListener& listener)
    : tls_(tls), listener_(listener), read_buffer_(std::size_t{64} * 1024) {
  uv_loop_init(&loop_);
  uv_check_init(&loop_, &flusher_);
  flusher_.data = this;
  uv_check_start(&flusher_, &SessionLoop::on_check);
  // The check handle must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&flusher_));
}

SessionLoop::~SessionLoop() {
  uv_close(reinterpret_cast<uv_handle_t*>(&flusher_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void SessionLoop::on_check(uv_check_t* check) {
  auto* self = static_cast<SessionLoop*>(check->data);
  // A flush may complete at once and a listener may queue more: work on a snapshot.
  self->flushing_.swap(self->dirty_);
  for (Session* session : self->flushing_) {
    session->flush();
  }
  self->flushing_.clear();
}

Session::Session(SessionLoop& loop, std::uint64_t index, client::ClientOptions options)
    : loop_(loop),
      index_(index),
      wants_binary_(options.tls == client::TlsMode::DirectBinary),
      stream_(std::move(options), loop.tls()) {}

Session::~Session() = default;

bool Session::connect(const sockaddr_in& server, const sockaddr_in* source) {
  started_ns_ = uv_hrtime();
  if (uv_tcp_init_ex(loop_.uv(), &tcp_, AF_INET) != 0) {
    end();
    return false;
  }
  tcp_.data = this;
  handle_open_ = true;
  if (source != nullptr) {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd);
    // Choose the source port at connect() time (by the 4-tuple), not at bind() time (by address
    // alone): otherwise every source address would be limited to the ephemeral range once more.
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(source), 0) != 0) {
      end();
      return false;
    }
  }
  uv_tcp_nodelay(&tcp_, 1);
  connect_request_.data = this;
  if (uv_tcp_connect(&connect_request_, &tcp_, reinterpret_cast<const sockaddr*>(&server),
                     &Session::on_connect) != 0) {
    end();
    return false;
  }
  return true;
}

void Session::on_connect(uv_connect_t* request, int status) {
  auto* self = static_cast<Session*>(request->data);
  if (status != 0 || self->ended_) {
    self->end();
    return;
  }
  self->connected_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), &Session::on_alloc, &Session::on_read);
  self->stream_.start(self->pending_);
  self->mark_dirty();
}

void Session::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buffer) {
  auto* self = static_cast<Session*>(handle->data);
  *buffer = uv_buf_init(self->loop_.read_buffer(),
                        static_cast<unsigned int>(self->loop_.read_buffer_size()));
}

void Session::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  auto* self = static_cast<Session*>(stream->data);
  if (nread == 0 || self->ended_) {
    return;
  }
  if (nread < 0) {
    self->stream_.on_disconnected();
    self->end();
    return;
  }
  self->stream_.on_received(std::string_view(buffer->base, static_cast<std::size_t>(nread)),
                            self->pending_);
  self->after_input();
}

void Session::after_input() {
  mark_dirty();
  if (!ready_seen_ && stream_.ready() && wants_binary_ && !stream_.binary()) {
    // --tls binary measures binary sessions: one that fell back to XML does not count as up.
    closing_ = true;
    end();
    return;
  }
  if (!ready_seen_ && stream_.ready()) {
    ready_seen_ = true;
    loop_.listener().on_ready(*this);
  }
  auto& received = stream_.received();
  while (!received.empty() && !ended_) {
    xmpp::StanzaPtr stanza = std::move(received.front());
    received.pop_front();
    loop_.listener().on_stanza(*this, stanza->root());
  }
  const auto state = stream_.state();
  if (state == client::ClientState::Failed || state == client::ClientState::Closed) {
    closing_ = true;
    if (!writing_ && pending_.empty()) {
      end();
    }
  }
}

void Session::send_xml(std::string_view xml) {
  if (ended_) {
    return;
  }
  stream_.send_xml(xml, pending_);
  mark_dirty();
}

void Session::close(bool gracefully) {
  if (ended_) {
    return;
  }
  if (gracefully && connected_) {
    stream_.close(pending_);
    closing_ = true;
    mark_dirty();
    return;
  }
  end();
}

void Session::mark_dirty() {
  if (!dirty_ && !ended_ && !pending_.empty()) {
    dirty_ = true;
    loop_.mark_dirty(this);
  }
}

void Session::flush() {
  dirty_ = false;
  if (ended_ || !connected_ || writing_ || pending_.empty()) {
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  uv_buf_t buffer = uv_buf_init(pending_.data(), static_cast<unsigned int>(pending_.size()));
  const int written = uv_try_write(stream, &buffer, 1);
  if (written == static_cast<int>(pending_.size())) {
    pending_.clear();
    if (closing_) {
      end();
    }
    return;
  }
  if (written < 0 && written != UV_EAGAIN) {
    end();
    return;
  }
  if (written > 0) {
    pending_.erase(0, static_cast<std::size_t>(written));
  }
  // The kernel's buffer is full: hand the rest to libuv and keep queuing behind it.
  in_flight_.swap(pending_);
  pending_.clear();
  buffer = uv_buf_init(in_flight_.data(), static_cast<unsigned int>(in_flight_.size()));
  writing_ = true;
  write_request_.data = this;
  if (uv_write(&write_request_, stream, &buffer, 1, &Session::on_write) != 0) {
    writing_ = false;
    end();
  }
}

void Session::on_write(uv_write_t* request, int status) {
  auto* self = static_cast<Session*>(request->data);
  self->writing_ = false;
  self->in_flight_.clear();
  if (status != 0) {
    self->end();
    return;
  }
  if (!self->pending_.empty()) {
    self->mark_dirty();
  } else if (self->closing_) {
    self->end();
  }
}

void Session::end() {
  if (ended_) {
    return;
  }
  ended_ = true;
  if (handle_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
    // The Session outlives the loop's use of the handle (sessions are freed after the loop ran
    // to completion), so no close callback is needed.
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
  }
  loop_.listener().on_ended(*this);
}

}  // namespace tern::bench
