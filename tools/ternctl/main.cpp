// SPDX-License-Identifier: MIT
// ternctl: account administration on a Tern store. It opens the LMDB store named by the config
// directly (LMDB serializes writers across processes), so it works whether or not ternd runs.
//
//   ternctl [--config FILE] [--set KEY=VALUE]… init            (create an empty store)
//   ternctl [--config FILE] [--set KEY=VALUE]… adduser JID [PASSWORD]
//   ternctl [--config FILE] [--set KEY=VALUE]… passwd JID [PASSWORD]
//   ternctl [--config FILE] [--set KEY=VALUE]… deluser JID
//   ternctl [--config FILE] [--set KEY=VALUE]… users [DOMAIN]
//   ternctl [--config FILE] [--set KEY=VALUE]… offline JID      (messages waiting for JID)
//   ternctl [--config FILE] [--set KEY=VALUE]… archive JID      (JID's sync archive: messages kept)
//   ternctl [--config FILE] [--set KEY=VALUE]… adduser-range PREFIX@DOMAIN FIRST COUNT PASSWORD
//                                (PREFIX<FIRST>... for load tests, in one transaction)
//   ternctl [--config FILE] [--set KEY=VALUE]… phone lookup|register|remove|pending …
//                                (accounts by phone number: phone_commands.h)
//   ternctl [--config FILE] [--set KEY=VALUE]… status|sessions|kick|queues|modules|announce|top
//                                (a running ternd, over its admin socket: admin_client.h)
//
// Without PASSWORD the password is read from standard input (one line; not echoed on a terminal).
// The store's absolute path is printed on standard error. Only `init` creates a store: every other
// command refuses a path where none exists, so a mistyped path or another working directory
// cannot silently send accounts to a new, empty store that ternd never reads.
// Exit status: 0 done, 1 refused (no such user, user exists, bad password…), 2 usage or config.
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.h"
#include "modules/mam/archive_store.h"
#include "modules/offline/offline_store.h"
#include "storage/account_lifecycle.h"
#include "storage/account_store.h"
#include "tools/ternctl/admin_client.h"
#include "tools/ternctl/phone_commands.h"
#include "xmpp/jid.h"

namespace {

using namespace tern;

constexpr const char* kUsage =
    "usage: ternctl [--config FILE] [--set KEY=VALUE]... COMMAND\n"
    "commands:\n"
    "  init                     create an empty store (ternd also creates one on first start)\n"
    "  adduser JID [PASSWORD]   create an account (password from stdin if absent)\n"
    "  passwd JID [PASSWORD]    change an account's password\n"
    "  deluser JID              delete an account\n"
    "  users [DOMAIN]           list accounts\n"
    "  offline JID              how many messages wait in JID's offline queue\n"
    "  archive JID              how many messages JID's sync archive keeps (XEP-0313,\n"
    "                           until every device of the account has them: docs/mam.md)\n"
    "  store                    the store's room: its disk and its map (storage.max_map_size)\n"
    "  adduser-range PREFIX@DOMAIN FIRST COUNT PASSWORD\n"
    "                           create PREFIX<FIRST>..PREFIX<FIRST+COUNT-1>@DOMAIN (load tests;\n"
    "                           existing ones are kept)\n"
    "  phone lookup NUMBER      the number's account, pending PIN and discoverability\n"
    "  phone register NUMBER [PASSWORD]\n"
    "                           create the number's account (prints a random password)\n"
    "  phone remove NUMBER      delete the number's account, PIN and index entry\n"
    "  phone pending            pending phone verifications\n"
    "commands for a running ternd (its admin socket; ternd's user or root):\n"
    "  status                   uptime, workers, sessions, the store, alerts firing\n"
    "  sessions [JID]           every session, or those of a bare or full JID\n"
    "  kick JID [REASON]        close a JID's sessions\n"
    "  queues [--top N]         the N sessions with the most output waiting (10)\n"
    "  modules                  the modules the server runs\n"
    "  announce TEXT            a headline message to every online session\n"
    "  top [--count N]          live per-worker figures, every second\n";

// "1.5 GiB": sizes for people.
std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

int fail(const std::string& message, int status = 1) {
  std::cerr << "ternctl: " << message << "\n";
  return status;
}

std::string read_password() {
  bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << "Password: " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return password;
}

struct Context {
  core::Config config;
  std::unique_ptr<storage::Environment> env;
};

// The account key for a JID argument: its prepared bare form, on a configured host.
tern::Result<std::string, std::string> account_key(const Context& ctx, const std::string& text) {
  auto jid = xmpp::Jid::parse(text);
  if (!jid) {
    return Err("invalid JID '" + text + "': " + std::string(xmpp::describe(jid.error())));
  }
  if (!jid->has_local() || jid->has_resource()) {
    return Err(std::string("an account is a bare JID with a localpart: user@domain"));
  }
  for (const auto& host : ctx.config.hosts) {
    if (host.domain == jid->domain()) {
      return std::string(jid->bare_view());
    }
  }
  // Built with append: GCC 12 -O3 warns falsely on "'" + std::string (-Wrestrict, PR 105329).
  std::string why = "'";
  why.append(jid->domain()).append("' is not a host of this server");
  return Err(why);
}

int set_password(Context& ctx, const std::vector<std::string>& args, bool create) {
  if (args.size() < 2 || args.size() > 3) {
    return fail(kUsage, 2);
  }
  auto key = account_key(ctx, args[1]);
  if (!key) {
    return fail(key.error());
  }
  std::string password = args.size() == 3 ? args[2] : read_password();
  auto account = storage::make_account(password);
  if (!account) {
    return fail("password refused: " + account.error());
  }
  bool refused = false;
  auto written = ctx.env->write([&](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
    if (storage::AccountStore::exists(txn, *key) == create) {
      refused = true;
      return {};
    }
    return storage::AccountStore::put(txn, *key, *account);
  });
  if (!written) {
    return fail(written.error().message);
  }
  if (refused) {
    return fail(create ? "account " + *key + " already exists" : "no account " + *key);
  }
  std::cout << (create ? "created " : "password changed for ") << *key << "\n";
  return 0;
}

int delete_user(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return fail(kUsage, 2);
  }
  auto key = account_key(ctx, args[1]);
  if (!key) {
    return fail(key.error());
  }
  bool existed = false;
  auto written = ctx.env->write([&](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
    auto removed = storage::delete_account(*ctx.env, txn, *key);
    if (!removed) {
      return Err(removed.error());
    }
    existed = *removed;
    return {};
  });
  if (!written) {
    return fail(written.error().message);
  }
  if (!existed) {
    return fail("no account " + *key);
  }
  std::cout << "deleted " << *key << "\n";
  return 0;
}

int list_users(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 2) {
    return fail(kUsage, 2);
  }
  auto txn = ctx.env->read();
  if (!txn) {
    return fail(txn.error().message);
  }
  for (const std::string& jid :
       storage::AccountStore::list(*txn, args.size() == 2 ? args[1] : "")) {
    std::cout << jid << "\n";
  }
  return 0;
}

// The mam module's per-account archive (modules/mam/archive_store.h): how many messages it keeps
// for the account's devices.
int archive_count(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return fail(kUsage, 2);
  }
  auto key = account_key(ctx, args[1]);
  if (!key) {
    return fail(key.error());
  }
  auto entries = ctx.env->open_store("archive", StoreScope::PerAccount);
  auto expiry = ctx.env->open_store("archive_expiry", StoreScope::Global);
  if (!entries || !expiry) {
    return fail(!entries ? entries.error().message : expiry.error().message);
  }
  auto txn = ctx.env->read();
  if (!txn) {
    return fail(txn.error().message);
  }
  if (!storage::AccountStore::exists(*txn, *key)) {
    return fail("no account " + *key);
  }
  modules::mam::ArchiveStores stores{*entries, *expiry, modules::mam::ArchiveKind::Account};
  std::cout << modules::mam::count(*txn, stores, *key) << "\n";
  return 0;
}

int offline_count(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return fail(kUsage, 2);
  }
  auto key = account_key(ctx, args[1]);
  if (!key) {
    return fail(key.error());
  }
  // The offline module's queue store (modules/offline/offline_store.h), opened before the read:
  // a transaction sees only the stores opened before it began.
  auto queue = ctx.env->open_store("offline", StoreScope::PerAccount);
  if (!queue) {
    return fail(queue.error().message);
  }
  auto txn = ctx.env->read();
  if (!txn) {
    return fail(txn.error().message);
  }
  if (!storage::AccountStore::exists(*txn, *key)) {
    return fail("no account " + *key);
  }
  std::cout << modules::offline::OfflineStore(*queue).count(*txn, *key) << "\n";
  return 0;
}

// Creates a numbered range of accounts sharing one password, for load generators (tern-bench).
// Each account still gets its own salts and the full iteration count: the derivations are the
// cost (about 10 ms of CPU per account for three hashes), so they run on every core, and the
// writes go in one transaction. Accounts that exist are left alone, so a rerun is cheap.
int add_user_range(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 5) {
    return fail(kUsage, 2);
  }
  const std::string& pattern = args[1];
  const std::size_t at = pattern.find('@');
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  auto number = [](const std::string& text, std::uint64_t& out) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
  };
  if (at == std::string::npos || !number(args[2], first) || !number(args[3], count)) {
    return fail(kUsage, 2);
  }
  const std::string prefix = pattern.substr(0, at);
  const std::string domain = pattern.substr(at);  // with the '@'
  std::vector<std::string> keys;
  keys.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string jid = prefix;
    jid.append(std::to_string(first + i)).append(domain);
    auto key = account_key(ctx, jid);
    if (!key) {
      return fail(key.error());
    }
    keys.push_back(std::move(key).value());
  }
  std::vector<char> wanted(count, 1);
  if (auto txn = ctx.env->read(); txn) {
    for (std::uint64_t i = 0; i < count; ++i) {
      wanted[i] = storage::AccountStore::exists(*txn, keys[i]) ? 0 : 1;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<storage::Account> accounts(count);
  std::vector<std::string> errors(count);
  const unsigned threads = std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t i = t; i < count; i += threads) {
        if (wanted[i] == 0) {
          continue;
        }
        auto account = storage::make_account(args[4]);
        if (account) {
          accounts[i] = std::move(account).value();
        } else {
          errors[i] = account.error();
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  for (const std::string& error : errors) {
    if (!error.empty()) {
      return fail("password refused: " + error);
    }
  }
  std::uint64_t created = 0;
  auto written = ctx.env->write([&](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
    created = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (wanted[i] == 0 || storage::AccountStore::exists(txn, keys[i])) {
        continue;
      }
      if (auto put = storage::AccountStore::put(txn, keys[i], accounts[i]); !put) {
        return put;
      }
      ++created;
    }
    return {};
  });
  if (!written) {
    return fail(written.error().message);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("created %llu of %llu accounts (%llu existed) in %.1f s\n",
              static_cast<unsigned long long>(created), static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(count - created), seconds);
  return 0;
}

int show_store_use(const Context& ctx) {
  storage::StoreUse use = ctx.env->use();
  std::cout << "disk: " << human_bytes(use.disk_free) << " free of " << human_bytes(use.disk_size)
            << "\nmap:  " << human_bytes(use.map_used) << " used of " << human_bytes(use.map_size)
            << " (grows up to " << human_bytes(use.map_limit)
            << ", storage.max_map_size)\nroom: " << human_bytes(use.room()) << "\n";
  return 0;
}

int run(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--config" || arg == "--set") && i + 1 < argc) {
      (arg == "--config" ? config_path : overrides.emplace_back()) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      args.push_back(arg);
    }
  }
  static constexpr std::string_view kCommands[] = {"init",  "adduser", "passwd",  "deluser",
                                                   "users", "offline", "archive", "adduser-range",
                                                   "store", "phone"};
  if (args.empty()) {
    return fail(kUsage, 2);
  }
  if (std::find(std::begin(kCommands), std::end(kCommands), args[0]) == std::end(kCommands) &&
      !ternctl::is_admin_command(args[0])) {
    return fail("unknown command '" + args[0] + "'\n" + kUsage, 2);  // before touching any store
  }
  auto config = tern::core::load_config(config_path, overrides);
  if (!config) {
    return fail(config.error().to_string(), 2);
  }
  if (ternctl::is_admin_command(args[0])) {  // the running server's, not the store's
    return ternctl::admin_command(*config, args);
  }
  const std::string& store_path = config->storage_path;  // absolute (load_config)
  std::error_code ec;
  const bool store_exists = std::filesystem::exists(store_path + "/data.mdb", ec);
  if (args[0] == "init" && store_exists) {
    return fail("a store already exists at " + store_path);
  }
  if (args[0] != "init" && !store_exists) {
    return fail("no store at " + store_path + " (from " + config->describe_source() +
                    "): start ternd with the same configuration once, or run 'ternctl init', "
                    "or name the store with --config FILE or --set server.storage_path=PATH",
                2);
  }
  std::cerr << "ternctl: store " << store_path << "\n";
  tern::storage::EnvOptions store_options;
  store_options.map_size = config->store_map_size;
  store_options.max_map_size = config->store_max_map_size;
  auto env = tern::storage::Environment::open(store_path, store_options);
  if (!env) {
    return fail(env.error().message, 2);
  }
  if (args[0] == "init") {
    std::cout << "created an empty store at " << store_path << "\n";
    return 0;
  }
  Context ctx{std::move(config).value(), std::move(env).value()};
  const std::string& command = args[0];
  if (command == "adduser") {
    return set_password(ctx, args, true);
  }
  if (command == "passwd") {
    return set_password(ctx, args, false);
  }
  if (command == "deluser") {
    return delete_user(ctx, args);
  }
  if (command == "offline") {
    return offline_count(ctx, args);
  }
  if (command == "archive") {
    return archive_count(ctx, args);
  }
  if (command == "adduser-range") {
    return add_user_range(ctx, args);
  }
  if (command == "store") {
    return show_store_use(ctx);
  }
  if (command == "phone") {
    return ternctl::phone_command(*ctx.env, ctx.config, args);
  }
  return list_users(ctx, args);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fail(std::string("fatal: ") + e.what());  // out of memory, in practice
  }
}
