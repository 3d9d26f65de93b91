// SPDX-License-Identifier: MIT
// The phone module's pure parts: numbers (libphonenumber and the allowed countries), the PIN
// record (issue, check, the per-number limit, the record's encoding), the rate limiter, the
// API's JSON, and the contact hash.
#include <gtest/gtest.h>

#include <set>

#include "modules/phone/api_json.h"
#include "modules/phone/phone_number.h"
#include "modules/phone/phone_store.h"
#include "modules/phone/pin_record.h"
#include "modules/phone/rate_limiter.h"

namespace tern::modules::phone {
namespace {

TEST(PhoneNumber, NormalisesToE164) {
  auto number = normalize_number("+49 151 1234-5678", {});
  ASSERT_TRUE(number) << number.error().message;
  EXPECT_EQ(number->e164, "+4915112345678");
  EXPECT_EQ(number->region, "DE");
  EXPECT_EQ(number_localpart(number->e164), "4915112345678");
  // Where fixed and mobile numbers look alike, the number is taken (the SMS decides).
  EXPECT_TRUE(normalize_number("+1 (415) 555-2671", {}));
}

TEST(PhoneNumber, RefusesWhatCannotReceiveAnSms) {
  for (std::string_view text : {"", "4915112345678", "+49", "+999123456789", "hello",
                                "+4915112345678901234567890123456789012345678901234567890123456"}) {
    auto number = normalize_number(text, {});
    ASSERT_FALSE(number) << text;
    EXPECT_EQ(number.error().problem, NumberProblem::Invalid) << text;
  }
  auto landline = normalize_number("+49 30 123456", {});
  ASSERT_FALSE(landline);
  EXPECT_EQ(landline.error().problem, NumberProblem::NotMobile);
  EXPECT_NE(landline.error().message.find("fixed-line"), std::string::npos);
  EXPECT_EQ(problem_code(NumberProblem::NotMobile), "not_mobile");
}

TEST(PhoneNumber, AllowedAndDeniedCountries) {
  NumberRules rules;
  rules.allow_prefixes = {"+49", "+33"};
  rules.deny_prefixes = {"+49151"};
  EXPECT_TRUE(normalize_number("+33612345678", rules));
  auto denied = normalize_number("+4915112345678", rules);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().problem, NumberProblem::CountryNotAllowed);
  EXPECT_TRUE(normalize_number("+4917612345678", rules));
  auto outside = normalize_number("+447911123456", rules);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().problem, NumberProblem::CountryNotAllowed);
  auto prefixes = parse_prefixes(" +49, +1 ,");
  ASSERT_TRUE(prefixes);
  EXPECT_EQ(*prefixes, (std::vector<std::string>{"+49", "+1"}));
  EXPECT_FALSE(parse_prefixes("49"));
  EXPECT_FALSE(parse_prefixes("+4x"));
}

TEST(PinRecord, IssueThenCheck) {
  PinPolicy policy;
  auto issued = issue_pin(std::nullopt, 1000, policy);
  ASSERT_TRUE(issued);
  EXPECT_EQ(issued->pin.size(), 6U);
  EXPECT_EQ(issued->record.expires_at, 1000 + policy.lifetime_s);
  EXPECT_EQ(issued->record.hash.find(issued->pin), std::string::npos);  // stored hashed
  PinRecord record = issued->record;
  const std::string wrong = issued->pin == "000000" ? "000001" : "000000";
  EXPECT_EQ(check_pin(record, wrong, 1001, policy), PinVerdict::Wrong);
  EXPECT_EQ(record.attempts, 1U);
  EXPECT_EQ(check_pin(record, issued->pin, 1002, policy), PinVerdict::Correct);
}

TEST(PinRecord, FiveWrongPinsLockIt) {
  PinPolicy policy;
  auto issued = issue_pin(std::nullopt, 0, policy);
  ASSERT_TRUE(issued);
  PinRecord record = issued->record;
  const std::string wrong = issued->pin == "123456" ? "654321" : "123456";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(check_pin(record, wrong, 1, policy), PinVerdict::Wrong);
  }
  EXPECT_EQ(check_pin(record, wrong, 1, policy), PinVerdict::Locked);
  EXPECT_EQ(check_pin(record, issued->pin, 1, policy), PinVerdict::Locked);  // even the right one
  auto fresh = issue_pin(record, 2, policy);                                 // a new PIN unlocks
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->record.attempts, 0U);
}

TEST(PinRecord, ExpiresAfterItsLifetime) {
  PinPolicy policy;
  policy.lifetime_s = 600;
  auto issued = issue_pin(std::nullopt, 0, policy);
  ASSERT_TRUE(issued);
  EXPECT_EQ(check_pin(issued->record, issued->pin, 600, policy), PinVerdict::Expired);
}

TEST(PinRecord, ThreePinsPerNumberPerHour) {
  PinPolicy policy;
  std::optional<PinRecord> record;
  for (std::int64_t at : {0, 100, 200}) {
    auto issued = issue_pin(record, at, policy);
    ASSERT_TRUE(issued) << at;
    record = issued->record;
  }
  auto refused = issue_pin(record, 300, policy);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), 3300);  // when the first of the hour ages out
  EXPECT_TRUE(issue_pin(record, 3600, policy));
}

TEST(PinRecord, StaleOnceExpiredAndOutOfTheHour) {
  PinPolicy policy;
  policy.lifetime_s = 600;
  auto issued = issue_pin(std::nullopt, 0, policy);
  ASSERT_TRUE(issued);
  EXPECT_FALSE(pin_record_stale(issued->record, 599));  // still valid
  EXPECT_FALSE(pin_record_stale(issued->record, 600));  // expired, but its send still counts
  EXPECT_TRUE(pin_record_stale(issued->record, 3600));  // nothing left to count
}

TEST(PinRecord, EncodesAndDecodes) {
  auto issued = issue_pin(std::nullopt, 42, PinPolicy{});
  ASSERT_TRUE(issued);
  issued->record.attempts = 2;
  auto decoded = decode_pin_record(encode_pin_record(issued->record));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->salt, issued->record.salt);
  EXPECT_EQ(decoded->hash, issued->record.hash);
  EXPECT_EQ(decoded->expires_at, issued->record.expires_at);
  EXPECT_EQ(decoded->attempts, 2U);
  EXPECT_EQ(decoded->sent, std::vector<std::int64_t>{42});
  for (std::string_view bad : {"", "v2|a|b|1|2|3|", "v1|zz|00|1|2|3|", "v1|00|00|1|2|3|"}) {
    EXPECT_FALSE(decode_pin_record(bad)) << bad;
  }
}

TEST(PinRecord, PinsAreUniformDigitsAndPasswordsLong) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string pin = random_pin();
    ASSERT_EQ(pin.size(), 6U);
    ASSERT_TRUE(std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; }));
    seen.insert(pin);
  }
  EXPECT_GT(seen.size(), 190U);
  EXPECT_EQ(random_password().size(), 24U);
  EXPECT_NE(random_password(), random_password());
}

TEST(RateLimiter, SlidingWindowPerKey) {
  RateLimiter limiter;
  limiter.configure(2, 3600);
  EXPECT_TRUE(limiter.allow("a", 0));
  EXPECT_TRUE(limiter.allow("a", 10));
  EXPECT_FALSE(limiter.allow("a", 20));
  EXPECT_TRUE(limiter.allow("b", 20));  // another key has its own
  EXPECT_EQ(limiter.retry_after("a", 20), 3580);
  EXPECT_EQ(limiter.retry_after("a", 3600), 0);
  EXPECT_TRUE(limiter.allow("a", 3600));  // the first aged out
  EXPECT_FALSE(limiter.allow("a", 3601));
}

TEST(RateLimiter, AReservationGivenBack) {
  RateLimiter limiter;
  limiter.configure(1, 3600);
  EXPECT_TRUE(limiter.allow("sms", 10));
  EXPECT_FALSE(limiter.allow("sms", 11));
  limiter.give_back("sms", 10);
  EXPECT_TRUE(limiter.allow("sms", 12));
}

TEST(RateLimiter, AddressKeys) {
  EXPECT_EQ(address_key("192.0.2.7"), "192.0.2.7");
  // One IPv6 /64 is one key, however its host part varies.
  EXPECT_EQ(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_key("2001:db8:1:2::1"), "v6:20010db800010002");
}

TEST(RateLimiter, KeysAreBounded) {
  RateLimiter limiter;
  limiter.configure(1, 60, 3);
  EXPECT_TRUE(limiter.allow("a", 0));
  EXPECT_TRUE(limiter.allow("b", 0));
  EXPECT_TRUE(limiter.allow("c", 0));
  EXPECT_FALSE(limiter.allow("d", 1));  // full of active keys: refused, not grown
  EXPECT_EQ(limiter.keys(), 3U);
  EXPECT_TRUE(limiter.allow("d", 61));  // the idle ones were dropped
  EXPECT_EQ(limiter.keys(), 1U);
  RateLimiter unlimited;
  unlimited.configure(0, 60);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(unlimited.allow("x", 0));
  }
}

TEST(PhoneApi, RequestBodiesAreReadStrictly) {
  auto pin = parse_pin_request(R"({"number":"+4915112345678"})");
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->number, "+4915112345678");
  auto verify = parse_verify(R"({"number":"+4915112345678","pin":"012345"})");
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->pin, "012345");
  for (std::string_view bad :
       {"", "[]", "{", R"({"number":4915112345678})", R"({"number":"+49","extra":"x"})", "{}",
        R"({"number":"+49","pin":"12345"})", R"({"number":"+49","pin":"12345a"})"}) {
    auto a = parse_pin_request(bad);
    auto b = parse_verify(bad);
    EXPECT_FALSE(a && b) << bad;
    if (!b) {
      EXPECT_EQ(b.error().code, "invalid_request") << bad;
      EXPECT_EQ(b.error().status, 400) << bad;
    }
  }
  EXPECT_FALSE(parse_pin_request(std::string(kMaxApiBody + 1, ' ')));
}

TEST(PhoneApi, ErrorsAreJsonWithAStableCode) {
  ApiError error{429, "rate_limited", "slow down", 30};
  HttpResponse response = error_response(error);
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"rate_limited","message":"slow down","retry_after":30}})");
  bool retry_header = false;
  for (const HttpHeader& header : response.headers) {
    retry_header = retry_header || (header.name == "Retry-After" && header.value == "30");
  }
  EXPECT_TRUE(retry_header);
  EXPECT_EQ(verified_response("1@h", "pw", true).body,
            R"({"jid":"1@h","new_account":true,"password":"pw"})");
}

TEST(PhoneStore, ContactHashes) {
  // SHA-256("+4915112345678"), first 10 bytes.
  const std::string hash = contact_hash_hex("+4915112345678");
  EXPECT_EQ(hash, "536afd523e19dc83fccb");  // printf %s +4915112345678 | sha256sum
  EXPECT_EQ(contact_hash_key(hash), hash);
  std::string upper = hash;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(contact_hash_key(upper), hash);
  EXPECT_FALSE(contact_hash_key("xyz"));
  EXPECT_FALSE(contact_hash_key(std::string(20, 'g')));
  EXPECT_TRUE(is_number_localpart("4915112345678"));
  EXPECT_FALSE(is_number_localpart("romeo"));
  EXPECT_FALSE(is_number_localpart("123"));
}

}  // namespace
}  // namespace tern::modules::phone
