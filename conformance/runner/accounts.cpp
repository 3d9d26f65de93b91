// SPDX-License-Identifier: MIT
#include "conformance/runner/accounts.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

namespace tern::conformance {

std::string random_password() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string password;
  for (int i = 0; i < 20; ++i) {
    password += kDigits[rng() % kDigits.size()];
  }
  return password;
}

namespace {

// Values are substituted between single quotes for the shell.
std::string shell_quoted(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string expand(std::string_view command, const Account& account) {
  std::string out;
  while (!command.empty()) {
    const auto open = command.find('{');
    const auto close = command.find('}', open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      out += command;
      break;
    }
    out += command.substr(0, open);
    const std::string_view key = command.substr(open + 1, close - open - 1);
    if (key == "jid") {
      out += shell_quoted(account.bare());
    } else if (key == "user") {
      out += shell_quoted(account.localpart);
    } else if (key == "domain") {
      out += shell_quoted(account.domain);
    } else if (key == "password") {
      out += shell_quoted(account.password);
    } else {
      out += command.substr(open, close - open + 1);
    }
    command.remove_prefix(close + 1);
  }
  return out;
}

class Provisioner final : public AccountSource {
 public:
  Provisioner(std::string command, std::string domain)
      : command_(std::move(command)), domain_(std::move(domain)) {}

  Result<std::vector<Account>, std::string> acquire(const std::vector<std::string>& localparts,
                                                    std::string_view tag) override {
    std::vector<Account> accounts;
    for (const std::string& localpart : localparts) {
      Account account{unique_localpart(localpart, tag), domain_, random_password()};
      const std::string command = expand(command_, account) + " 2>&1";
      FILE* pipe = popen(command.c_str(), "r");
      if (pipe == nullptr) {
        return Err("cannot run: " + command);
      }
      std::string output;
      std::array<char, 512> buffer{};
      while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        output += buffer.data();
      }
      if (pclose(pipe) != 0) {
        std::string why = "provisioning " + account.bare();
        why += " failed: ";
        why += command;
        why += '\n';
        why += output;
        return Err(std::move(why));
      }
      accounts.push_back(std::move(account));
    }
    return accounts;
  }
  void release(const std::vector<Account>& /*accounts*/) override {}

 private:
  std::string command_;
  std::string domain_;
};

class Pool final : public AccountSource {
 public:
  explicit Pool(std::vector<Account> accounts) : free_(std::move(accounts)) {}

  Result<std::vector<Account>, std::string> acquire(const std::vector<std::string>& localparts,
                                                    std::string_view /*tag*/) override {
    std::unique_lock lock(mutex_);
    if (localparts.size() > total()) {
      return Err("the scenario needs " + std::to_string(localparts.size()) +
                 " accounts, the pool has " + std::to_string(total()));
    }
    available_.wait(lock, [&] { return free_.size() >= localparts.size(); });
    std::vector<Account> leased(free_.end() - static_cast<std::ptrdiff_t>(localparts.size()),
                                free_.end());
    free_.resize(free_.size() - localparts.size());
    leased_ += leased.size();
    return leased;
  }
  void release(const std::vector<Account>& accounts) override {
    std::lock_guard lock(mutex_);
    free_.insert(free_.end(), accounts.begin(), accounts.end());
    leased_ -= accounts.size();
    available_.notify_all();
  }

 private:
  std::size_t total() const { return free_.size() + leased_; }

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Account> free_;
  std::size_t leased_ = 0;
};

}  // namespace

std::string unique_localpart(std::string_view script_localpart, std::string_view tag) {
  std::string out;
  for (char c : script_localpart) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    }
  }
  return out + "-" + std::string(tag);
}

std::unique_ptr<AccountSource> make_provisioner(std::string command, std::string domain) {
  return std::make_unique<Provisioner>(std::move(command), std::move(domain));
}

Result<std::unique_ptr<AccountSource>, std::string> load_account_pool(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Err("cannot read " + path);
  }
  std::vector<Account> accounts;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream words(line);
    std::string jid, password;
    if (!(words >> jid) || jid.front() == '#') {
      continue;
    }
    const auto at = jid.find('@');
    if (!(words >> password) || at == std::string::npos) {
      return Err(path + ":" + std::to_string(number) + ": expected 'localpart@domain password'");
    }
    accounts.push_back({jid.substr(0, at), jid.substr(at + 1), password});
  }
  return std::unique_ptr<AccountSource>(std::make_unique<Pool>(std::move(accounts)));
}

}  // namespace tern::conformance
