// SPDX-License-Identifier: MIT
// Where the accounts a scenario plays with come from: created fresh for each scenario by a
// command the operator gives (ternctl, prosodyctl, ejabberdctl…), registered in-band (XEP-0077,
// inband_registration.h), or leased from a file of pre-made credentials.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"

namespace tern::conformance {

struct Account {
  std::string localpart;
  std::string domain;
  std::string password;
  std::string bare() const { return localpart + "@" + domain; }
};

class AccountSource {
 public:
  virtual ~AccountSource() = default;
  // One account per requested localpart (the names the script gives its actors), unique to
  // `tag` (the run and the scenario). All or nothing.
  virtual Result<std::vector<Account>, std::string> acquire(
      const std::vector<std::string>& localparts, std::string_view tag) = 0;
  virtual void release(const std::vector<Account>& accounts) = 0;
};

// Runs `command` (through /bin/sh) once per account, with {jid}, {user}, {domain} and {password}
// replaced: e.g. "ternctl --config tern.toml adduser {jid} {password}". Exit status 0 = created.
std::unique_ptr<AccountSource> make_provisioner(std::string command, std::string domain);

// Pre-made accounts, one "jid password" per line ('#' comments). Scenarios lease them: a
// scenario waits until enough are free. Accounts keep their state between scenarios (rosters!),
// so fresh accounts are the better choice.
Result<std::unique_ptr<AccountSource>, std::string> load_account_pool(const std::string& path);

// A fresh account's password: 20 random hex digits.
std::string random_password();

// The localpart a scenario's account gets: the script's, made safe, then the tag.
std::string unique_localpart(std::string_view script_localpart, std::string_view tag);

}  // namespace tern::conformance
