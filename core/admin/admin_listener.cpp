// SPDX-License-Identifier: MIT
#include "core/admin/admin_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "log/logger.h"

namespace tern::core::admin {

namespace {

const log::Logger kLog("admin");

// Whether something answers on the Unix socket `path` (another ternd).
bool someone_listens(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const bool answered =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return answered;
}

std::string answer_line(bool ok, const std::string& text) {
  nlohmann::json answer = {{"ok", ok}, {"text", text}};
  return answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

// One admin connection: reads the request line, checks who sent it, runs the command, writes the
// answer and closes. Deletes itself when its handles have closed.
class AdminListener::Client {
 public:
  explicit Client(AdminListener& listener) : listener_(&listener) {
    uv_pipe_init(listener.loop_, &pipe_, 0);
    pipe_.data = this;
    uv_timer_init(listener.loop_, &timer_);
    timer_.data = this;
  }

  bool accept(uv_stream_t* server) {
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&pipe_)) != 0) {
      return false;
    }
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<Client*>(t->data)->finish(false, "timed out"); },
        kRequestTimeoutMs, 0);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&pipe_),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
          auto* self = static_cast<Client*>(h->data);
          *buf = uv_buf_init(self->buffer_, sizeof self->buffer_);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          static_cast<Client*>(s->data)->on_read(n, buf);
        });
    return true;
  }

  // The listener closes: the command's answer, if it comes, goes nowhere.
  void detach() {
    listener_ = nullptr;
    close();
  }

 private:
  void on_read(ssize_t n, const uv_buf_t* buf) {
    if (n < 0) {
      return close();
    }
    request_.append(buf->base, static_cast<std::size_t>(n));
    const std::size_t end = request_.find('\n');
    if (end == std::string::npos) {
      if (request_.size() > kMaxRequestBytes) {
        finish(false, "request too long");
      }
      return;
    }
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    uv_timer_stop(&timer_);
    request_.resize(end);
    if (!peer_allowed()) {
      return finish(false, "refused: only ternd's own user and root may use the admin socket");
    }
    std::vector<std::string> args;
    try {
      for (const auto& arg : nlohmann::json::parse(request_)) {
        args.push_back(arg.get<std::string>());
      }
    } catch (const nlohmann::json::exception&) {
      return finish(false, "the request is not a JSON array of strings");
    }
    if (args.empty()) {
      return finish(false, "no command");
    }
    kLog.info("admin.command", "admin command", {{"command", args[0]}, {"uid", uid_}});
    pending_ = true;
    listener_->handler_(std::move(args), [this](bool ok, const std::string& text) {
      pending_ = false;
      if (orphaned_) {
        delete this;  // closed while the command ran (the server stops)
        return;
      }
      finish(ok, text);
    });
  }

  // SO_PEERCRED: the process at the other end.
  bool peer_allowed() {
    ucred credentials{};
    socklen_t size = sizeof credentials;
    uv_os_fd_t fd = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&pipe_), &fd) != 0 ||
        ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
      return false;
    }
    uid_ = credentials.uid;
    if (credentials.uid == 0 || credentials.uid == ::geteuid()) {
      return true;
    }
    kLog.warn("limit.refused", "admin connection refused: another user",
              {{"uid", credentials.uid}, {"pid", credentials.pid}});
    return false;
  }

  void finish(bool ok, const std::string& text) {
    if (closing_ || answered_) {
      return;
    }
    answered_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    answer_ = answer_line(ok, text);
    uv_buf_t buf = uv_buf_init(answer_.data(), static_cast<unsigned>(answer_.size()));
    write_.data = this;
    if (uv_write(&write_, reinterpret_cast<uv_stream_t*>(&pipe_), &buf, 1,
                 [](uv_write_t* w, int) { static_cast<Client*>(w->data)->close(); }) != 0) {
      close();
    }
  }

  void close() {
    if (closing_) {
      return;
    }
    closing_ = true;
    if (listener_ != nullptr) {
      auto& clients = listener_->clients_;
      clients.erase(std::remove(clients.begin(), clients.end(), this), clients.end());
    }
    handles_open_ = 2;
    auto closed = [](uv_handle_t* h) {
      auto* self = static_cast<Client*>(h->data);
      if (--self->handles_open_ == 0 && !self->pending_) {
        delete self;
      } else if (self->handles_open_ == 0) {
        self->orphaned_ = true;  // the command's reply comes later: it deletes then
      }
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), closed);
  }

  AdminListener* listener_;
  uv_pipe_t pipe_{};
  uv_timer_t timer_{};
  uv_write_t write_{};
  char buffer_[4096]{};
  std::string request_;
  std::string answer_;
  unsigned uid_ = 0;
  int handles_open_ = 0;
  bool closing_ = false;
  bool answered_ = false;
  bool pending_ = false;
  bool orphaned_ = false;
};

AdminListener::AdminListener(uv_loop_t* loop, std::string path, Handler handler)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)) {}

AdminListener::~AdminListener() = default;

Result<std::unique_ptr<AdminListener>, std::string> AdminListener::open(uv_loop_t* loop,
                                                                        std::string path,
                                                                        Handler handler) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Err("admin socket path too long (at most 107 bytes): " + path);
  }
  if (someone_listens(path)) {
    return Err("another ternd answers on the admin socket " + path);
  }
  ::unlink(path.c_str());  // a stale one, left by a ternd that was killed
  std::unique_ptr<AdminListener> listener(
      new AdminListener(loop, std::move(path), std::move(handler)));
  uv_pipe_init(loop, &listener->pipe_, 0);
  listener->pipe_.data = listener.get();
  // Owner-only from the start: no moment where others could connect.
  const mode_t old_mask = ::umask(0177);
  int rc = uv_pipe_bind(&listener->pipe_, listener->path_.c_str());
  ::umask(old_mask);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->pipe_), 16, &on_connection);
  }
  if (rc != 0) {
    std::string error =
        "cannot listen on the admin socket " + listener->path_ + ": " + uv_strerror(rc);
    // The handle is the loop's until its close completes: the object lives until then.
    listener->closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener->pipe_),
             [](uv_handle_t* h) { delete static_cast<AdminListener*>(h->data); });
    (void)listener.release();
    return Err(std::move(error));
  }
  return listener;
}

void AdminListener::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<AdminListener*>(server->data);
  if (status != 0 || self->closed_) {
    return;
  }
  auto* client = new Client(*self);
  if (!client->accept(server)) {
    client->detach();
    return;
  }
  if (self->clients_.size() >= kMaxConnections) {
    kLog.warn("limit.refused", "admin connection refused: too many at once",
              {{"max", kMaxConnections}});
    client->detach();
    return;
  }
  self->clients_.push_back(client);
}

void AdminListener::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  for (Client* client : std::vector<Client*>(clients_)) {
    client->detach();
  }
  clients_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
  ::unlink(path_.c_str());
}

}  // namespace tern::core::admin
