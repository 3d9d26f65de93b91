// SPDX-License-Identifier: MIT
#include "tools/ternctl/phone_commands.h"

#include <chrono>
#include <iostream>

#include "modules/phone/phone_number.h"
#include "modules/phone/phone_store.h"
#include "modules/phone/pin_record.h"
#include "storage/account_lifecycle.h"
#include "storage/account_store.h"

namespace tern::ternctl {
namespace {

using modules::phone::contact_hash_hex;
using modules::phone::decode_pin_record;
using modules::phone::index_key;
using modules::phone::pin_key;

constexpr const char* kPhoneUsage =
    "usage: ternctl phone lookup NUMBER | register NUMBER [PASSWORD] | remove NUMBER | pending\n";

int refuse(const std::string& message, int status = 1) {
  std::cerr << "ternctl: " << message << "\n";
  return status;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Stores {
  StoreId pins;
  StoreId index;
};

std::string_view host_of(std::string_view jid) {
  return jid.substr(jid.find('@') + 1);
}

// The number in E.164 and its account's JID, or why not.
Result<std::pair<std::string, std::string>, std::string> number_account(const core::Config& config,
                                                                        const std::string& text) {
  auto number = modules::phone::normalize_number(text, {});
  if (!number) {
    return Err(std::string(modules::phone::problem_code(number.error().problem)) + ": " +
               number.error().message);
  }
  if (config.hosts.empty()) {
    return Err(std::string("no host is configured"));
  }
  return std::pair{number->e164,
                   modules::phone::number_localpart(number->e164) + "@" + config.hosts[0].domain};
}

int lookup(storage::Environment& env, const core::Config& config, const Stores& stores,
           const std::string& text) {
  auto account = number_account(config, text);
  if (!account) {
    return refuse(account.error());
  }
  const std::string& e164 = account->first;
  const std::string& jid = account->second;
  auto txn = env.read();
  if (!txn) {
    return refuse(txn.error().message);
  }
  const bool exists = storage::AccountStore::exists(*txn, jid);
  std::cout << e164 << "  " << jid << "  " << (exists ? "account" : "no account") << "  "
            << (txn->get(stores.index, index_key(host_of(jid), contact_hash_hex(e164)))
                    ? "findable"
                    : "not findable");
  if (auto bytes = txn->get(stores.pins, pin_key(host_of(jid), e164))) {
    if (auto record = decode_pin_record(*bytes)) {
      std::cout << "  PIN expires in " << (record->expires_at - now_seconds()) << " s, "
                << record->attempts << " wrong";
    }
  }
  std::cout << "\n";
  return exists ? 0 : 1;
}

int register_number(storage::Environment& env, const core::Config& config, const Stores& stores,
                    const std::vector<std::string>& args) {
  auto account = number_account(config, args[2]);
  if (!account) {
    return refuse(account.error());
  }
  const std::string& e164 = account->first;
  const std::string& jid = account->second;
  const bool random = args.size() < 4;
  const std::string password = random ? modules::phone::random_password() : args[3];
  auto credentials = storage::make_account(password);
  if (!credentials) {
    return refuse("password refused: " + credentials.error());
  }
  bool existed = false;
  auto written = env.write([&](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
    if (storage::AccountStore::exists(txn, jid)) {
      existed = true;
      return {};
    }
    if (auto put = storage::AccountStore::put(txn, jid, *credentials); !put) {
      return put;
    }
    return txn.put(stores.index, index_key(host_of(jid), contact_hash_hex(e164)), e164);
  });
  if (!written) {
    return refuse(written.error().message);
  }
  if (existed) {
    return refuse("account " + jid + " already exists");
  }
  std::cout << "created " << jid << (random ? "  password " + password : "") << "\n";
  return 0;
}

int remove_number(storage::Environment& env, const core::Config& config, const Stores& stores,
                  const std::string& text) {
  auto account = number_account(config, text);
  if (!account) {
    return refuse(account.error());
  }
  const std::string& e164 = account->first;
  const std::string& jid = account->second;
  bool existed = false;
  auto written = env.write([&](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
    auto removed = storage::delete_account(env, txn, jid);
    if (!removed) {
      return Err(removed.error());
    }
    existed = *removed;
    for (auto [store, key] :
         {std::pair{stores.index, contact_hash_hex(e164)}, std::pair{stores.pins, e164}}) {
      if (auto gone = txn.remove(store, key); !gone) {
        return Err(gone.error());
      }
    }
    return {};
  });
  if (!written) {
    return refuse(written.error().message);
  }
  if (!existed) {
    return refuse("no account " + jid);
  }
  std::cout << "deleted " << jid << "\n";
  return 0;
}

int pending(storage::Environment& env, const Stores& stores) {
  auto txn = env.read();
  if (!txn) {
    return refuse(txn.error().message);
  }
  const std::int64_t now = now_seconds();
  txn->scan(stores.pins, "", [&](std::string_view key, std::string_view bytes) {
    auto record = decode_pin_record(bytes);
    const std::size_t nul = key.find('\0');
    if (!record || nul == std::string_view::npos) {
      return true;
    }
    std::cout << key.substr(nul + 1) << "  " << key.substr(0, nul) << "  ";
    if (record->expires_at <= now) {
      std::cout << "expired";
    } else {
      std::cout << "expires in " << (record->expires_at - now) << " s";
    }
    std::cout << "  " << record->attempts << " wrong  " << record->sent.size()
              << " sent in the last hour\n";
    return true;
  });
  return 0;
}

}  // namespace

int phone_command(storage::Environment& env, const core::Config& config,
                  const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "";
  const bool one_number = (sub == "lookup" || sub == "remove") && args.size() == 3;
  const bool registering = sub == "register" && (args.size() == 3 || args.size() == 4);
  if (!one_number && !registering && !(sub == "pending" && args.size() == 2)) {
    return refuse(kPhoneUsage, 2);
  }
  // Opened before the transactions that read them (a transaction sees only stores opened
  // before it began).
  auto pins = env.open_store(modules::phone::kPinStore, StoreScope::Global);
  auto index = env.open_store(modules::phone::kIndexStore, StoreScope::Global);
  if (!pins || !index) {
    return refuse(!pins ? pins.error().message : index.error().message);
  }
  const Stores stores{*pins, *index};
  if (sub == "lookup") {
    return lookup(env, config, stores, args[2]);
  }
  if (sub == "register") {
    return register_number(env, config, stores, args);
  }
  if (sub == "remove") {
    return remove_number(env, config, stores, args[2]);
  }
  return pending(env, stores);
}

}  // namespace tern::ternctl
