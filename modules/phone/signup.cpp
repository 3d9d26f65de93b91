// SPDX-License-Identifier: MIT
#include "modules/phone/signup.h"

#include <chrono>

#include "modules/phone/phone_store.h"

namespace tern::modules::phone {
namespace {

constexpr std::string_view kBudgetKey = "sms";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

ApiError internal_error() {
  return ApiError{500, "internal_error", "the server could not store the verification"};
}

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Signup::Signup(ModuleContext& ctx, Stores stores, SignupOptions options, SmsGateway& gateway,
               std::shared_ptr<SignupLimits> limits)
    : ctx_(ctx),
      stores_(stores),
      options_(std::move(options)),
      gateway_(gateway),
      limits_(std::move(limits)),
      log_(ctx.log()) {}

ApiError Signup::number_error(const NumberError& error) const {
  return ApiError{error.problem == NumberProblem::CountryNotAllowed ? 403 : 400,
                  std::string(problem_code(error.problem)), error.message};
}

void Signup::request_pin(std::string_view number, std::string_view address, PinDone done) {
  auto parsed = normalize_number(number, options_.rules);
  if (!parsed) {
    log_.info("phone.refused", "PIN request refused: the number",
              {{"reason", problem_code(parsed.error().problem)}, {"peer", address}});
    return done(Err(number_error(parsed.error())));
  }
  const std::int64_t now = unix_now();
  const std::string client = address_key(address);
  if (!address.empty() && !limits_->per_address.allow(client, now)) {
    log_.warn("limit.refused", "PIN request refused: pins_per_address_per_hour",
              {{"peer", address}, {"number", parsed->e164}});
    return done(Err(ApiError{429, "rate_limited", "too many PIN requests from this address",
                             limits_->per_address.retry_after(client, now)}));
  }
  // The SMS is reserved now, before the write: requests in flight cannot all pass a check of
  // a budget none of them has counted yet. Given back if no SMS is sent after all.
  if (!limits_->sms_budget.allow(kBudgetKey, now)) {
    log_.warn("limit.refused", "PIN request refused: the SMS budget (sms_per_hour) is spent",
              {{"peer", address}, {"number", parsed->e164}});
    return done(Err(ApiError{503, "sms_budget_exhausted",
                             "the server sends no more SMS this hour; try again later",
                             limits_->sms_budget.retry_after(kBudgetKey, now)}));
  }
  // Issued inside the write: the per-number limit holds across workers.
  struct Outcome {
    std::optional<IssuedPin> issued;
    std::int64_t retry_after = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  const std::string e164 = parsed->e164;
  ctx_.write(
      [store = stores_.pins, key = pin_key(ctx_.host(), e164), now, policy = options_.policy,
       outcome](WriteTxn& txn) -> Result<void, StoreError> {
        std::optional<PinRecord> previous;
        if (auto bytes = txn.get(store, key)) {
          previous = decode_pin_record(*bytes);
        }
        auto issued = issue_pin(previous, now, policy);
        if (!issued) {
          outcome->retry_after = issued.error();
          return {};
        }
        outcome->issued = std::move(*issued);
        return txn.put(store, key, encode_pin_record(outcome->issued->record));
      },
      [this, e164, outcome, address = std::string(address), now,
       done = std::move(done)](StoreStatus status) mutable {
        if (!status || !outcome->issued) {
          limits_->sms_budget.give_back(kBudgetKey, now);
        }
        if (!status) {
          return done(Err(internal_error()));
        }
        if (!outcome->issued) {
          log_.warn("limit.refused", "PIN request refused: pins_per_number_per_hour",
                    {{"peer", address}, {"number", e164}});
          return done(Err(ApiError{429, "rate_limited", "too many PINs for this number",
                                   outcome->retry_after}));
        }
        send_pin(e164, outcome->issued->pin, std::move(done));
      });
}

void Signup::sweep() {
  // A slice per sweep, from where the last one stopped: the read stays short on the event loop
  // however many records there are, and every record is looked at in turn.
  constexpr std::size_t kSlice = 5000;
  const std::int64_t now = unix_now();
  std::vector<std::string> stale;
  std::size_t seen = 0;
  std::string next;
  if (auto txn = ctx_.read()) {
    txn->scan_from(stores_.pins, "", sweep_from_,
                   [&](std::string_view key, std::string_view bytes) {
                     if (seen++ == kSlice) {
                       next = key;
                       return false;
                     }
                     auto record = decode_pin_record(bytes);
                     if (!record || pin_record_stale(*record, now)) {
                       stale.emplace_back(key);
                     }
                     return true;
                   });
  }
  sweep_from_ = std::move(next);  // empty: the next sweep starts over
  if (stale.empty()) {
    return;
  }
  ctx_.write(
      [store = stores_.pins, stale = std::move(stale),
       now](WriteTxn& txn) -> Result<void, StoreError> {
        for (const std::string& key : stale) {
          // Checked again: a PIN may have been issued since the scan.
          auto bytes = txn.get(store, key);
          auto record = bytes ? decode_pin_record(*bytes) : std::nullopt;
          if (bytes && record && !pin_record_stale(*record, now)) {
            continue;
          }
          if (auto removed = txn.remove(store, key); !removed) {
            return Err(removed.error());
          }
        }
        return {};
      },
      [](StoreStatus) {});
}

void Signup::send_pin(const std::string& e164, const std::string& pin, PinDone done) {
  std::string text = replace_all(options_.text, "{host}", ctx_.host());
  text = replace_all(std::move(text), "{pin}", pin);
  gateway_.send(SmsMessage{e164, std::move(text)}, [this, e164, done = std::move(done)](
                                                       bool sent, const std::string& error) {
    if (!sent) {
      // The gateway's reason (hosts, TLS) is in the log, not for an unauthenticated client.
      (void)error;
      return done(
          Err(ApiError{503, "sms_failed", "the SMS could not be sent; try again later", 60}));
    }
    log_.info("phone.pin_sent", "PIN sent", {{"number", e164}});
    done(PinSent{e164, options_.policy.lifetime_s});
  });
}

void Signup::verify(std::string_view number, std::string_view pin, std::string password,
                    std::string_view address, VerifyDone done) {
  auto parsed = normalize_number(number, options_.rules);
  if (!parsed) {
    return done(Err(number_error(parsed.error())));
  }
  // Every try counts, right or wrong: a guesser (or someone locking others' PINs) is slowed
  // down per address, and cannot ask without limit whether a number is signing up.
  const std::string client = address_key(address);
  const std::int64_t now = unix_now();
  if (!address.empty() && !limits_->verifications_per_address.allow(client, now)) {
    log_.warn("limit.refused", "PIN refused: verifications_per_address_per_hour",
              {{"peer", address}, {"number", parsed->e164}});
    return done(Err(ApiError{429, "rate_limited", "too many PINs tried from this address",
                             limits_->verifications_per_address.retry_after(client, now)}));
  }
  struct Outcome {
    std::optional<PinVerdict> verdict;  // nullopt: no PIN pending
    std::uint32_t attempts = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  const std::string e164 = parsed->e164;
  ctx_.write(
      [store = stores_.pins, key = pin_key(ctx_.host(), e164), pin = std::string(pin),
       policy = options_.policy, outcome](WriteTxn& txn) -> Result<void, StoreError> {
        auto bytes = txn.get(store, key);
        std::optional<PinRecord> record = bytes ? decode_pin_record(*bytes) : std::nullopt;
        if (!record) {
          return {};
        }
        outcome->verdict = check_pin(*record, pin, unix_now(), policy);
        outcome->attempts = record->attempts;
        if (*outcome->verdict == PinVerdict::Correct) {
          auto removed = txn.remove(store, key);
          return removed ? Result<void, StoreError>{} : Err(removed.error());
        }
        // Wrong, locked or expired: kept (the attempts count, and the sends of the hour).
        return txn.put(store, key, encode_pin_record(*record));
      },
      [this, e164, outcome, password = std::move(password),
       done = std::move(done)](StoreStatus status) mutable {
        if (!status) {
          return done(Err(internal_error()));
        }
        const std::uint32_t max = options_.policy.max_attempts;
        if (!outcome->verdict) {
          return done(Err(ApiError{404, "no_pending_pin", "no PIN was requested for this number"}));
        }
        switch (*outcome->verdict) {
          case PinVerdict::Correct:
            return take_account(e164, std::move(password), std::move(done));
          case PinVerdict::Wrong: {
            log_.info("phone.refused", "wrong PIN", {{"number", e164}});
            ApiError error{401, "wrong_pin", "the PIN is not the one sent"};
            error.attempts_left = max > outcome->attempts ? max - outcome->attempts : 0;
            return done(Err(std::move(error)));
          }
          case PinVerdict::Locked:
            log_.warn("limit.refused", "PIN locked after max_attempts wrong tries",
                      {{"number", e164}, {"limit", static_cast<std::int64_t>(max)}});
            return done(
                Err(ApiError{403, "pin_locked", "too many wrong PINs: request a new one", 0, 0}));
          case PinVerdict::Expired:
            return done(
                Err(ApiError{410, "pin_expired", "the PIN has expired: request a new one"}));
        }
      });
}

void Signup::take_account(const std::string& e164, std::string password, VerifyDone done) {
  const std::string jid = number_localpart(e164) + "@" + std::string(ctx_.host());
  if (password.empty()) {
    password = random_password();
  }
  auto move_here = [this, e164, jid, password, done](StoreStatus status,
                                                     AccountChange change) mutable {
    if (!status || change == AccountChange::BadPassword) {
      return done(
          Err(ApiError{change == AccountChange::BadPassword ? 400 : 500,
                       change == AccountChange::BadPassword ? "bad_password" : "internal_error",
                       "the account could not be moved"}));
    }
    // The old device's sessions end; its credentials no longer work (the password changed).
    ctx_.close_sessions(
        jid, xmpp::StreamError::not_authorized("the number was verified on another device"));
    log_.info("phone.device_changed", "number verified on a new device: account moved",
              {{"jid", jid}});
    finish(e164, jid, std::move(password), false, std::move(done));
  };
  if (ctx_.account_exists(jid)) {
    return ctx_.set_password(jid, password, std::move(move_here));
  }
  ctx_.create_account(
      jid, password,
      [this, e164, jid, password, done, move_here](StoreStatus status,
                                                   AccountChange change) mutable {
        if (status && change == AccountChange::Exists) {  // created meanwhile elsewhere
          return ctx_.set_password(jid, password, std::move(move_here));
        }
        if (!status || change != AccountChange::Done) {
          return done(
              Err(ApiError{change == AccountChange::BadPassword ? 400 : 500,
                           change == AccountChange::BadPassword ? "bad_password" : "internal_error",
                           "the account could not be created"}));
        }
        log_.info("account.registered", "account created by phone number", {{"jid", jid}});
        finish(e164, jid, std::move(password), true, std::move(done));
      });
}

void Signup::finish(const std::string& e164, const std::string& jid, std::string password,
                    bool new_account, VerifyDone done) {
  // The number becomes findable by contact discovery.
  ctx_.write(
      [store = stores_.index, key = index_key(ctx_.host(), contact_hash_hex(e164)),
       e164](WriteTxn& txn) { return txn.put(store, key, e164); },
      [this, jid, password = std::move(password), new_account,
       done = std::move(done)](StoreStatus status) mutable {
        // The account works already: a failed index write only leaves the number unfindable,
        // and the credentials (over HTTP the only copy of a random password) must reach the
        // client all the same.
        if (!status) {
          log_.error("phone.index_failed", "number not added to contact discovery", {{"jid", jid}});
        }
        done(Verified{jid, std::move(password), new_account});
      });
}

}  // namespace tern::modules::phone
