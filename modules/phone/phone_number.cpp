// SPDX-License-Identifier: MIT
#include "modules/phone/phone_number.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>

namespace tern::modules::phone {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

// Longer input is no phone number; it is refused before the library sees it.
constexpr std::size_t kMaxInput = 64;

bool starts_with_any(std::string_view e164, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& prefix) { return e164.starts_with(prefix); });
}

std::string_view kind_name(PhoneNumberUtil::PhoneNumberType type) {
  switch (type) {
    case PhoneNumberUtil::FIXED_LINE:
      return "a fixed-line number";
    case PhoneNumberUtil::TOLL_FREE:
      return "a toll-free number";
    case PhoneNumberUtil::PREMIUM_RATE:
      return "a premium-rate number";
    case PhoneNumberUtil::SHARED_COST:
      return "a shared-cost number";
    case PhoneNumberUtil::VOIP:
      return "a VoIP number";
    case PhoneNumberUtil::PERSONAL_NUMBER:
      return "a personal number";
    case PhoneNumberUtil::PAGER:
      return "a pager number";
    case PhoneNumberUtil::UAN:
      return "a company number";
    case PhoneNumberUtil::VOICEMAIL:
      return "a voicemail number";
    default:
      return "not a mobile number";
  }
}

}  // namespace

std::string_view problem_code(NumberProblem problem) {
  switch (problem) {
    case NumberProblem::Invalid:
      return "invalid_number";
    case NumberProblem::NotMobile:
      return "not_mobile";
    case NumberProblem::CountryNotAllowed:
      return "country_not_allowed";
  }
  return "invalid_number";
}

Result<PhoneNumber, NumberError> normalize_number(std::string_view text, const NumberRules& rules) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > kMaxInput || text.front() != '+') {
    return Err(NumberError{NumberProblem::Invalid,
                           "a phone number in international form is needed: + and the country "
                           "code first (+4915112345678)"});
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber parsed;
  // "ZZ": no default region, so only the international form parses.
  if (util.Parse(std::string(text), "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(parsed)) {
    return Err(NumberError{NumberProblem::Invalid, "not a valid phone number"});
  }
  PhoneNumber number;
  util.Format(parsed, PhoneNumberUtil::E164, &number.e164);
  util.GetRegionCodeForNumber(parsed, &number.region);
  // Where mobile and fixed numbers look alike (the United States, Canada), the library cannot
  // tell them apart: such numbers are taken, and the SMS decides.
  const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(parsed);
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return Err(NumberError{
        NumberProblem::NotMobile,
        number.e164 + " is " + std::string(kind_name(type)) + ", which cannot receive an SMS"});
  }
  if (starts_with_any(number.e164, rules.deny_prefixes) ||
      (!rules.allow_prefixes.empty() && !starts_with_any(number.e164, rules.allow_prefixes))) {
    return Err(NumberError{
        NumberProblem::CountryNotAllowed,
        "numbers of " + (number.region.empty() ? std::string("this country") : number.region) +
            " cannot sign up here"});
  }
  return number;
}

std::string number_localpart(std::string_view e164) {
  return std::string(e164.starts_with('+') ? e164.substr(1) : e164);
}

Result<std::vector<std::string>, std::string> parse_prefixes(std::string_view text) {
  std::vector<std::string> prefixes;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    if (item.empty()) {
      continue;
    }
    if (item.size() < 2 || item.front() != '+' ||
        !std::all_of(item.begin() + 1, item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Err("'" + std::string(item) + "' is not a prefix like +49");
    }
    prefixes.emplace_back(item);
  }
  return prefixes;
}

}  // namespace tern::modules::phone
