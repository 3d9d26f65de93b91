// SPDX-License-Identifier: MIT
#include "tools/tern-bench/generator.h"

#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <string>

#include "tls/tls_context.h"
#include "tools/tern-bench/probe.h"
#include "tools/tern-bench/scenario.h"

namespace tern::bench {

namespace {

constexpr std::uint64_t kDrainPollMs = 50;

void write_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

// The control channel and the end of the run, around one scenario.
class Generator {
 public:
  Generator(const Options& options, Scenario& scenario, int from_fd, int to_fd)
      : options_(options), scenario_(scenario), to_fd_(to_fd) {
    uv_pipe_init(scenario_.uv(), &control_, 0);
    uv_pipe_open(&control_, from_fd);
    control_.data = this;
    uv_timer_init(scenario_.uv(), &drain_);
    drain_.data = this;
  }

  void run() {
    scenario_.set_up([this] {
      double user = 0;
      double system = 0;
      own_cpu_seconds(user, system);
      scenario_.stats().cpu_setup_seconds = user + system;
      write_line(to_fd_, "ready");
    });
    uv_read_start(reinterpret_cast<uv_stream_t*>(&control_), &Generator::on_alloc,
                  &Generator::on_control);
    uv_run(scenario_.uv(), UV_RUN_DEFAULT);
  }

 private:
  static void on_alloc(uv_handle_t* /*handle*/, std::size_t /*suggested*/, uv_buf_t* buffer) {
    static char bytes[256];
    *buffer = uv_buf_init(bytes, sizeof bytes);
  }

  static void on_control(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
    auto* self = static_cast<Generator*>(stream->data);
    if (nread < 0) {
      self->finish();  // the coordinator went away
      return;
    }
    self->lines_.append(buffer->base, static_cast<std::size_t>(nread));
    std::size_t end = 0;
    while ((end = self->lines_.find('\n')) != std::string::npos) {
      const std::string line = self->lines_.substr(0, end);
      self->lines_.erase(0, end + 1);
      self->on_command(line);
    }
  }

  void on_command(const std::string& command) {
    if (command == "go") {
      own_cpu_seconds(user_at_go_, system_at_go_);
      scenario_.start_phase();
    } else if (command == "stop") {
      scenario_.stop_phase();
      double user = 0;
      double system = 0;
      own_cpu_seconds(user, system);
      scenario_.stats().cpu_user_seconds = user - user_at_go_;
      scenario_.stats().cpu_sys_seconds = system - system_at_go_;
      drain_deadline_ =
          uv_now(scenario_.uv()) + static_cast<std::uint64_t>(options_.drain_seconds * 1000);
      uv_timer_start(&drain_, &Generator::on_drain, 0, kDrainPollMs);
    }
  }

  static void on_drain(uv_timer_t* timer) {
    auto* self = static_cast<Generator*>(timer->data);
    if (self->scenario_.drained() || uv_now(self->scenario_.uv()) >= self->drain_deadline_) {
      self->finish();
    }
  }

  void finish() {
    if (finished_) {
      return;
    }
    finished_ = true;
    write_line(to_fd_, "result " + scenario_.stats().to_text());
    uv_timer_stop(&drain_);
    uv_close(reinterpret_cast<uv_handle_t*>(&drain_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&control_), nullptr);
    scenario_.close_all();
  }

  const Options& options_;
  Scenario& scenario_;
  int to_fd_;
  uv_pipe_t control_{};
  uv_timer_t drain_{};
  std::string lines_;
  std::uint64_t drain_deadline_ = 0;
  double user_at_go_ = 0;
  double system_at_go_ = 0;
  bool finished_ = false;
};

}  // namespace

int run_generator(const Options& options, std::uint64_t first, std::uint64_t count, int from_fd,
                  int to_fd) {
  tls::TlsClientOptions tls_options;
  if (options.tls == client::TlsMode::DirectBinary) {
    tls_options = client::binary_tls_options();
  } else if (options.tls == client::TlsMode::Direct) {
    tls_options.alpn = std::string(tls::kAlpnXmppClient);
  }
  tls_options.trust_file = options.trust_file;
  auto tls = tls::TlsContext::client(tls_options);
  if (!tls) {
    std::fprintf(stderr, "tern-bench: %s\n", tls.error().message.c_str());
    write_line(to_fd, "error TLS context");
    return 2;
  }
  auto scenario = make_scenario(options, first, count, &*tls);
  Generator generator(options, *scenario, from_fd, to_fd);
  generator.run();
  return 0;
}

}  // namespace tern::bench
