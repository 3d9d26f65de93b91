// SPDX-License-Identifier: MIT
// What the phone module keeps, shared with ternctl (which opens the same stores by name):
//   phone_pins      (global)       HOST\0E.164 → PinRecord (pin_record.h): pending verifications
//   phone_index     (global)       HOST\0contact hash → E.164: the numbers registered through
//                                  sign-up, for contact discovery
//   phone_discovery (per account)  "BARE\0" → "DAY|COUNT": numbers looked up today
// The account itself is an ordinary one: localpart = the E.164 number without '+'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::modules::phone {

inline constexpr std::string_view kPinStore = "phone_pins";
inline constexpr std::string_view kIndexStore = "phone_index";
inline constexpr std::string_view kDiscoveryStore = "phone_discovery";

// The hash a client sends for a number in contact discovery: the first 10 bytes of
// SHA-256(E.164), as 20 lowercase hex digits (docs/phone-signup.md).
inline constexpr std::size_t kContactHashBytes = 10;
std::string contact_hash_hex(std::string_view e164);
// The index key for a hash in hex (nullopt: not 20 hex digits).
std::optional<std::string> contact_hash_key(std::string_view hex);

// Keys of the global stores: each virtual host has its own numbers ("HOST\0E164",
// "HOST\0HASH").
std::string pin_key(std::string_view host, std::string_view e164);
std::string index_key(std::string_view host, std::string_view hash_hex);

// Whether a localpart is a sign-up number's (digits only, 7 to 15 of them: E.164's length).
bool is_number_localpart(std::string_view localpart);

}  // namespace tern::modules::phone
