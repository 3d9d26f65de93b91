// SPDX-License-Identifier: MIT
#include "tools/ternctl/admin_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <thread>

namespace tern::ternctl {

namespace {

constexpr std::array<std::string_view, 9> kAdminCommands = {
    "status", "sessions", "kick", "queues", "modules", "announce", "top", "reload", "module"};

struct Answer {
  int status = 2;  // 0 ok, 1 refused by the server, 2 no answer
  std::string text;
};

// One request on the admin socket: a JSON array of strings, one line back.
Answer ask(const std::string& path, const std::vector<std::string>& args) {
  Answer answer;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof address.sun_path) {
    answer.text = "cannot use the admin socket " + path;
    if (fd >= 0) {
      ::close(fd);
    }
    return answer;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    answer.text = error == ENOENT || error == ECONNREFUSED
                      ? "ternd is not running on this store (nothing answers on " + path + ")"
                      : "cannot reach ternd's admin socket " + path + ": " +
                            std::generic_category().message(error) +
                            (error == EACCES ? " (run ternctl as ternd's user or root)" : "");
    ::close(fd);
    return answer;
  }
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request = nlohmann::json(args).dump() + "\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string line;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      break;
    }
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  try {
    const auto json = nlohmann::json::parse(line);
    answer.status = json.at("ok").get<bool>() ? 0 : 1;
    answer.text = json.at("text").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    answer.text = "ternd gave no answer on " + path;
  }
  return answer;
}

int print(const Answer& answer) {
  if (answer.status == 0) {
    std::cout << answer.text;
  } else {
    std::cerr << "ternctl: " << answer.text << (answer.text.ends_with('\n') ? "" : "\n");
  }
  return answer.status;
}

// One sample of `top`: a line per worker of numbers (see Server's "top" command).
struct WorkerSample {
  std::vector<double> values;
};

std::vector<WorkerSample> parse_top(const std::string& text) {
  std::vector<WorkerSample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    WorkerSample sample;
    double v = 0;
    while (fields >> v) {
      sample.values.push_back(v);
    }
    samples.push_back(sample);
  }
  return samples;
}

// Live per-worker figures: sessions, and per second stanzas in and out, KiB in and out, and the
// mean loop lag of the second's probes.
int top(const std::string& path, unsigned count) {
  Answer first = ask(path, {"top"});
  if (first.status != 0) {
    return print(first);
  }
  std::vector<WorkerSample> before = parse_top(first.text);
  for (unsigned i = 0; count == 0 || i < count; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    Answer next = ask(path, {"top"});
    if (next.status != 0) {
      return print(next);
    }
    std::vector<WorkerSample> now = parse_top(next.text);
    std::printf("%-7s %9s %10s %10s %10s %10s %9s\n", "worker", "sessions", "in/s", "out/s",
                "KiB in/s", "KiB out/s", "lag ms");
    for (std::size_t w = 0; w < now.size() && w < before.size(); ++w) {
      const auto& a = before[w].values;
      const auto& b = now[w].values;
      if (a.size() < 8 || b.size() < 8) {
        continue;
      }
      const double probes = b[7] - a[7];  // the mean lag of the second's probes
      std::printf("%-7zu %9.0f %10.0f %10.0f %10.1f %10.1f %9.2f\n", w, b[1], b[2] - a[2],
                  b[3] - a[3], (b[4] - a[4]) / 1024, (b[5] - a[5]) / 1024,
                  probes > 0 ? (b[6] - a[6]) / probes / 1000 : 0.0);
    }
    std::fflush(stdout);
    before = std::move(now);
  }
  return 0;
}

}  // namespace

bool is_admin_command(const std::string& command) {
  return std::find(kAdminCommands.begin(), kAdminCommands.end(), command) != kAdminCommands.end();
}

int admin_command(const core::Config& config, const std::vector<std::string>& args) {
  const std::string& path = config.admin_socket;
  const std::string& command = args[0];
  if (command == "top") {
    unsigned count = 0;
    if (args.size() == 3 && args[1] == "--count") {
      count = static_cast<unsigned>(std::strtoul(args[2].c_str(), nullptr, 10));
    } else if (args.size() != 1) {
      std::cerr << "ternctl: usage: top [--count N]\n";
      return 2;
    }
    return top(path, count);
  }
  std::vector<std::string> request = args;
  if (command == "queues") {  // queues [--top N] → ["queues", N]
    request = {"queues"};
    if (args.size() == 3 && args[1] == "--top") {
      request.push_back(args[2]);
    } else if (args.size() != 1) {
      std::cerr << "ternctl: usage: queues [--top N]\n";
      return 2;
    }
  }
  if (command == "announce" && args.size() > 2) {  // the words of an unquoted text
    std::string text;
    for (std::size_t i = 1; i < args.size(); ++i) {
      text += (i > 1 ? " " : "") + args[i];
    }
    request = {"announce", text};
  }
  return print(ask(path, request));
}

}  // namespace tern::ternctl
