// SPDX-License-Identifier: MIT
// A number's pending verification: the PIN (hashed), when it expires, the wrong attempts so far,
// and when PINs were sent to the number in the last hour. Pure logic on a record, without I/O:
// the module runs it inside a store write, so that two requests for one number on two workers
// cannot both pass a limit (docs/phone-signup-operators.md).
//
// PINs are 6 digits from OpenSSL's CSPRNG, stored as SHA-256(salt || PIN) with a fresh salt, and
// compared in constant time. Hashing a 6-digit PIN does not stop a thief of the store from trying
// all million of them; it keeps PINs out of backups and dumps, and the PIN is dead after its
// few minutes anyway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"

namespace tern::modules::phone {

struct PinPolicy {
  std::int64_t lifetime_s = 600;   // [modules.phone] pin_lifetime
  std::uint32_t max_attempts = 5;  // wrong PINs before a new one is needed
  std::uint32_t per_number_per_hour = 3;
};

struct PinRecord {
  std::string salt;            // 16 random bytes
  std::string hash;            // SHA-256(salt || PIN)
  std::int64_t issued_at = 0;  // Unix seconds
  std::int64_t expires_at = 0;
  std::uint32_t attempts = 0;      // wrong PINs given for this one
  std::vector<std::int64_t> sent;  // when PINs went to the number, within the last hour
};

std::string encode_pin_record(const PinRecord& record);
std::optional<PinRecord> decode_pin_record(std::string_view bytes);

struct IssuedPin {
  PinRecord record;
  std::string pin;  // for the SMS only: never stored, never logged
};

// A new PIN for the number (replacing any earlier one), unless the number had its PINs for the
// hour: then the seconds until the next may be sent.
Result<IssuedPin, std::int64_t> issue_pin(const std::optional<PinRecord>& previous,
                                          std::int64_t now, const PinPolicy& policy);

enum class PinVerdict : std::uint8_t {
  Correct,  // the record is spent: delete it
  Wrong,    // one more wrong attempt counted in the record
  Locked,   // max_attempts reached: only a new PIN helps
  Expired,
};

// Checks `pin` against the record, counting a wrong one.
PinVerdict check_pin(PinRecord& record, std::string_view pin, std::int64_t now,
                     const PinPolicy& policy);

// Whether a record no longer matters: its PIN has expired and no send of the last hour is left
// to count against the number. The sweeper deletes such records.
bool pin_record_stale(const PinRecord& record, std::int64_t now);

// A fresh random PIN of six digits (uniform), and a random password for an account.
std::string random_pin();
std::string random_password();

}  // namespace tern::modules::phone
