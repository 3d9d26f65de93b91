// SPDX-License-Identifier: MIT
// Phone numbers as account names: parsed, validated and normalised to E.164 by libphonenumber
// (Google's library, which phones themselves use), then checked against the countries the
// operator allows. The account of +4915112345678 is 4915112345678@HOST.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xmpp/result.h"

namespace tern::modules::phone {

// Which numbers may sign up, by E.164 prefix ("+49", "+1415"): none allowed means all, and a
// denied prefix wins over an allowed one.
struct NumberRules {
  std::vector<std::string> allow_prefixes;
  std::vector<std::string> deny_prefixes;
};

enum class NumberProblem : std::uint8_t {
  Invalid,            // not a number libphonenumber knows, or not in international form
  NotMobile,          // a fixed line, a pager, a premium-rate number: no SMS
  CountryNotAllowed,  // outside [modules.phone] allow_prefixes, or in deny_prefixes
};

struct NumberError {
  NumberProblem problem = NumberProblem::Invalid;
  std::string message;  // why, for the user (names the number's kind or country)
};

// The stable code of a problem ("invalid_number", "not_mobile", "country_not_allowed").
std::string_view problem_code(NumberProblem problem);

struct PhoneNumber {
  std::string e164;    // "+4915112345678"
  std::string region;  // "DE"
};

// "+49 151 1234-5678" → +4915112345678, if it is a valid mobile number in international form
// that the rules allow.
Result<PhoneNumber, NumberError> normalize_number(std::string_view text, const NumberRules& rules);

// The account's localpart: the E.164 form without '+'.
std::string number_localpart(std::string_view e164);

// "+49,+33" → {"+49", "+33"} (spaces ignored; each must be '+' and digits).
Result<std::vector<std::string>, std::string> parse_prefixes(std::string_view text);

}  // namespace tern::modules::phone
