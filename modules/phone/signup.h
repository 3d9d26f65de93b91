// SPDX-License-Identifier: MIT
// The sign-up flow both ways in share (the HTTP API and in-band XEP-0077): request a PIN for a
// number, then verify it and receive the account. A number that has an account already is moved
// to the verifying device: its password is replaced and its sessions are closed; its roster,
// offline messages and PEP data stay, since the account is the same.
//
// Limits, in the order they are checked: the number (libphonenumber, allowed countries); PIN
// requests per client address (in memory, shared by the workers); the server's SMS budget per
// hour (an SMS costs money: a flood must not become a bill); PINs per number per hour (in the
// number's record, inside the store write, so that two workers cannot both pass it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "modules/phone/api_json.h"
#include "modules/phone/phone_number.h"
#include "modules/phone/pin_record.h"
#include "modules/phone/rate_limiter.h"
#include "modules/phone/sms_gateway.h"
#include "tern/module_api.h"

namespace tern::modules::phone {

// Shared by the module's instances on every worker (ModuleContext::shared).
struct SignupLimits {
  RateLimiter per_address;                // PIN requests per client address per hour
  RateLimiter verifications_per_address;  // PINs tried per client address per hour
  RateLimiter sms_budget;                 // SMS per hour, for the whole server (one key)
  std::once_flag configured;
};

struct SignupOptions {
  NumberRules rules;
  PinPolicy policy;
  std::string text = "Your {host} code: {pin}";  // {pin} and {host} are replaced
};

struct PinSent {
  std::string e164;
  std::int64_t expires_in = 0;
};

struct Verified {
  std::string jid;
  std::string password;
  bool new_account = false;
};

class Signup {
 public:
  struct Stores {
    StoreId pins;
    StoreId index;
  };
  Signup(ModuleContext& ctx, Stores stores, SignupOptions options, SmsGateway& gateway,
         std::shared_ptr<SignupLimits> limits);

  using PinDone = std::function<void(Result<PinSent, ApiError>)>;
  // `address`: the client's IP address (per-address limit).
  void request_pin(std::string_view number, std::string_view address, PinDone done);

  using VerifyDone = std::function<void(Result<Verified, ApiError>)>;
  // `password`: the one the account gets (empty: a fresh random one, returned in Verified).
  // `address`: the client's IP address (the limit on PINs tried, against guessing).
  void verify(std::string_view number, std::string_view pin, std::string password,
              std::string_view address, VerifyDone done);

  // Deletes the records of numbers that never verified once they no longer count (expired,
  // no send in the last hour): the store does not grow with every number ever tried.
  void sweep();

 private:
  void send_pin(const std::string& e164, const std::string& pin, PinDone done);
  // The PIN was right: the account is created, or moved to this device.
  void take_account(const std::string& e164, std::string password, VerifyDone done);
  void finish(const std::string& e164, const std::string& jid, std::string password,
              bool new_account, VerifyDone done);
  ApiError number_error(const NumberError& error) const;

  ModuleContext& ctx_;
  Stores stores_;
  SignupOptions options_;
  SmsGateway& gateway_;
  std::shared_ptr<SignupLimits> limits_;
  log::Logger log_;
  std::string sweep_from_;  // the key the next sweep starts at
};

// Unix seconds now.
std::int64_t unix_now();

}  // namespace tern::modules::phone
