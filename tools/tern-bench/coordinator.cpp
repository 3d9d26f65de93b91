// SPDX-License-Identifier: MIT
#include "tools/tern-bench/coordinator.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tools/tern-bench/generator.h"

namespace tern::bench {

namespace {

struct Child {
  pid_t pid = -1;
  int to_child = -1;
  int from_child = -1;
  std::string buffer;
  bool ready = false;
  bool done = false;
};

// Sockets are files: a process holding N sessions needs N descriptors and a few more.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void send_all(std::vector<Child>& children, const char* line) {
  for (Child& child : children) {
    if (::write(child.to_child, line, std::char_traits<char>::length(line)) < 0) {
      std::perror("tern-bench: write to a generator");
    }
  }
}

// Reads lines until `done(child, line)` says every child is where it should be; false when a
// child ended first.
template <class Handler>
bool read_lines(std::vector<Child>& children, Handler handle) {
  std::vector<pollfd> fds;
  for (;;) {
    bool all = true;
    for (Child& child : children) {
      all = all && child.done;
    }
    if (all) {
      return true;
    }
    fds.clear();
    for (Child& child : children) {
      fds.push_back({child.done ? -1 : child.from_child, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      continue;
    }
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      char bytes[65536];
      const ssize_t n = ::read(children[i].from_child, bytes, sizeof bytes);
      if (n <= 0) {
        return false;
      }
      children[i].buffer.append(bytes, static_cast<std::size_t>(n));
      std::size_t end = 0;
      while ((end = children[i].buffer.find('\n')) != std::string::npos) {
        const std::string line = children[i].buffer.substr(0, end);
        children[i].buffer.erase(0, end + 1);
        children[i].done = handle(children[i], line);
      }
    }
  }
}

double phase_length(const Options& options) {
  switch (options.mode) {
    case Mode::Connect:
      return options.hold_seconds;
    case Mode::Chat:
    case Mode::Presence:
    case Mode::Muc:
      return options.duration_seconds;
    case Mode::Register:
      return 0;
  }
  return 0;
}

}  // namespace

std::optional<RunResult> run(const Options& options) {
  RunResult result;
  raise_file_limit();
  if (options.server_pid > 0) {
    result.server_before = sample_process(options.server_pid);
  }
  // Each process gets whole pairs (whole rooms); the first ones take the remainder.
  const std::uint64_t unit = options.mode == Mode::Chat  ? 2
                             : options.mode == Mode::Muc ? options.occupants
                                                         : 1;
  const std::uint64_t units = options.sessions / unit;
  const std::uint64_t processes =
      std::min<std::uint64_t>(options.processes, std::max<std::uint64_t>(units, 1));
  Options share = options;
  share.rate = options.rate / static_cast<double>(processes);
  std::vector<Child> children(processes);
  std::uint64_t first = 0;
  for (std::uint64_t k = 0; k < processes; ++k) {
    const std::uint64_t count = (units / processes + (k < units % processes ? 1 : 0)) * unit;
    int down[2];
    int up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
      std::perror("tern-bench: pipe");
      return std::nullopt;
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      for (std::uint64_t j = 0; j < k; ++j) {  // the other generators' pipes
        close(children[j].to_child);
        close(children[j].from_child);
      }
      _exit(run_generator(share, first, count, down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);
    children[k] = Child{pid, down[1], up[0], {}, false, false};
    first += count;
  }
  auto take_result = [&](Child& /*child*/, const std::string& line) {
    if (line.starts_with("result ")) {
      if (!result.stats.add_text(std::string_view(line).substr(7))) {
        std::fprintf(stderr, "tern-bench: malformed result line\n");
      }
      return true;
    }
    return false;
  };
  bool ok = read_lines(children,
                       [](Child& /*child*/, const std::string& line) { return line == "ready"; });
  if (ok) {
    if (options.server_pid > 0) {
      result.server_ready = sample_process(options.server_pid);
    }
    for (Child& child : children) {
      child.done = false;
    }
    const auto go = std::chrono::steady_clock::now();
    send_all(children, "go\n");
    std::this_thread::sleep_for(std::chrono::duration<double>(phase_length(options)));
    if (options.server_pid > 0) {
      result.server_after = sample_process(options.server_pid);
    }
    send_all(children, "stop\n");
    result.phase_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - go).count();
    ok = read_lines(children, take_result);
  }
  for (Child& child : children) {
    close(child.to_child);
    close(child.from_child);
    int status = 0;
    waitpid(child.pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  if (!ok) {
    return std::nullopt;
  }
  return result;
}

}  // namespace tern::bench
