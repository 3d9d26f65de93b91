// SPDX-License-Identifier: MIT
// The real ternd for C++ integration tests: a fresh store in a temporary directory, accounts
// added with ternctl, a STARTTLS and a direct TLS listener on free loopback ports (read back
// from ternd's "listening" lines), stopped with SIGTERM and checked to exit cleanly. The build
// directory comes from TERN_BUILD_DIR (meson sets it).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::testing {

inline std::string build_dir() {
  const char* dir = std::getenv("TERN_BUILD_DIR");
  return dir != nullptr ? dir : "build";
}

struct TerndOptions {
  // (bare JID, password)
  std::vector<std::pair<std::string, std::string>> accounts = {{"juliet@localhost", "balcony"}};
  // More --set KEY=VALUE overrides.
  std::vector<std::string> settings;
};

class Ternd {
 public:
  explicit Ternd(const TerndOptions& options = {}) {
    char pattern[] = "/tmp/tern-itest-XXXXXX";
    dir_ = mkdtemp(pattern);
    set_ = {"server.storage_path=" + dir_,    "server.workers=2",
            "c2s.starttls=[\"127.0.0.1:0\"]", "c2s.direct_tls=[\"127.0.0.1:0\"]",
            "http.listen=[\"127.0.0.1:0\"]",  "http.tls_listen=[\"127.0.0.1:0\"]"};
    set_.insert(set_.end(), options.settings.begin(), options.settings.end());
    std::string ctl = build_dir() + "/tools/ternctl";
    for (const auto& s : set_) {
      ctl += " --set '" + s + "'";
    }
    // ternctl makes no store implicitly; ternd would, but the accounts come first.
    EXPECT_EQ(std::system((ctl + " init >/dev/null 2>&1").c_str()), 0);
    for (const auto& [jid, password] : options.accounts) {
      EXPECT_EQ(std::system((ctl + " adduser " + jid + " " + password + " >/dev/null").c_str()), 0);
    }
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      std::vector<std::string> args = {build_dir() + "/ternd/ternd"};
      for (const auto& s : set_) {
        args.push_back("--set");
        args.push_back(s);
      }
      std::vector<char*> argv;
      for (auto& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* lines = fdopen(out[0], "r");
    char line[512];
    while (std::fgets(line, sizeof line, lines) != nullptr) {
      // "ternd: listening KIND 127.0.0.1:PORT"
      std::istringstream words(line);
      std::string ternd, listening, kind, address;
      words >> ternd >> listening >> kind >> address;
      if (listening == "listening") {
        auto port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
        if (kind == "starttls") {
          starttls_port = port;
        } else if (kind == "direct_tls") {
          direct_tls_port = port;
        }
      }
      if (std::string_view(line).starts_with("ternd: ready")) {
        break;
      }
    }
    stdout_ = lines;
  }
  ~Ternd() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "ternd did not stop cleanly";
    std::fclose(stdout_);
    std::filesystem::remove_all(dir_);
  }
  Ternd(const Ternd&) = delete;
  Ternd& operator=(const Ternd&) = delete;

  // Creates another account (false if ternctl failed).
  bool add_user(const std::string& jid, const std::string& password) const {
    std::string cmd = build_dir() + "/tools/ternctl";
    for (const auto& s : set_) {
      cmd += " --set '" + s + "'";
    }
    return std::system((cmd + " adduser " + jid + " '" + password + "' >/dev/null").c_str()) == 0;
  }

  std::uint16_t starttls_port = 0;
  std::uint16_t direct_tls_port = 0;

 private:
  std::string dir_;
  std::vector<std::string> set_;
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
};

}  // namespace tern::testing
