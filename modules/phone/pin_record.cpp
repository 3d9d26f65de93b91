// SPDX-License-Identifier: MIT
#include "modules/phone/pin_record.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "xmpp/base64.h"

namespace tern::modules::phone {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::size_t kSaltBytes = 16;
// "v1" then fields separated by '|': salt and hash in hex, numbers in decimal, sends by ','.
constexpr std::string_view kVersion = "v1";

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("the CSPRNG failed");  // never silently weak
  }
  return out;
}

std::string pin_hash(std::string_view salt, std::string_view pin) {
  std::string input(salt);
  input += pin;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return {reinterpret_cast<const char*>(digest), sizeof digest};
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (ec != std::errc{} || end != text.data() + i + 2) {
      return std::nullopt;
    }
    out += static_cast<char>(value);
  }
  return out;
}

template <typename T>
bool number(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

// Sends older than an hour no longer count.
void forget_old_sends(PinRecord& record, std::int64_t now) {
  std::erase_if(record.sent, [now](std::int64_t at) { return at <= now - kHour; });
}

}  // namespace

std::string encode_pin_record(const PinRecord& record) {
  std::string out(kVersion);
  out += '|' + hex(record.salt) + '|' + hex(record.hash) + '|' + std::to_string(record.issued_at) +
         '|' + std::to_string(record.expires_at) + '|' + std::to_string(record.attempts) + '|';
  for (std::size_t i = 0; i < record.sent.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::to_string(record.sent[i]);
  }
  return out;
}

std::optional<PinRecord> decode_pin_record(std::string_view bytes) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t bar = bytes.find('|');
    fields.push_back(bytes.substr(0, bar));
    if (bar == std::string_view::npos) {
      break;
    }
    bytes.remove_prefix(bar + 1);
  }
  if (fields.size() != 7 || fields[0] != kVersion) {
    return std::nullopt;
  }
  PinRecord record;
  auto salt = unhex(fields[1]);
  auto hash = unhex(fields[2]);
  if (!salt || !hash || hash->size() != SHA256_DIGEST_LENGTH ||
      !number(fields[3], record.issued_at) || !number(fields[4], record.expires_at) ||
      !number(fields[5], record.attempts)) {
    return std::nullopt;
  }
  record.salt = std::move(*salt);
  record.hash = std::move(*hash);
  std::string_view sends = fields[6];
  while (!sends.empty()) {
    const std::size_t comma = sends.find(',');
    std::int64_t at = 0;
    if (!number(sends.substr(0, comma), at)) {
      return std::nullopt;
    }
    record.sent.push_back(at);
    sends = comma == std::string_view::npos ? std::string_view{} : sends.substr(comma + 1);
  }
  return record;
}

Result<IssuedPin, std::int64_t> issue_pin(const std::optional<PinRecord>& previous,
                                          std::int64_t now, const PinPolicy& policy) {
  IssuedPin issued;
  if (previous) {
    issued.record.sent = previous->sent;
  }
  forget_old_sends(issued.record, now);
  if (issued.record.sent.size() >= policy.per_number_per_hour) {
    const std::int64_t oldest =
        *std::min_element(issued.record.sent.begin(), issued.record.sent.end());
    return Err(std::max<std::int64_t>(1, oldest + kHour - now));
  }
  issued.pin = random_pin();
  issued.record.salt = random_bytes(kSaltBytes);
  issued.record.hash = pin_hash(issued.record.salt, issued.pin);
  issued.record.issued_at = now;
  issued.record.expires_at = now + policy.lifetime_s;
  issued.record.attempts = 0;
  issued.record.sent.push_back(now);
  return issued;
}

PinVerdict check_pin(PinRecord& record, std::string_view pin, std::int64_t now,
                     const PinPolicy& policy) {
  if (record.attempts >= policy.max_attempts) {
    return PinVerdict::Locked;
  }
  if (now >= record.expires_at) {
    return PinVerdict::Expired;
  }
  const std::string candidate = pin_hash(record.salt, pin);
  if (candidate.size() == record.hash.size() &&
      CRYPTO_memcmp(candidate.data(), record.hash.data(), candidate.size()) == 0) {
    return PinVerdict::Correct;
  }
  ++record.attempts;
  return record.attempts >= policy.max_attempts ? PinVerdict::Locked : PinVerdict::Wrong;
}

bool pin_record_stale(const PinRecord& record, std::int64_t now) {
  return record.expires_at <= now &&
         std::all_of(record.sent.begin(), record.sent.end(),
                     [now](std::int64_t at) { return at <= now - kHour; });
}

std::string random_pin() {
  // Rejection sampling: 4 bytes below the largest multiple of 10^6 map uniformly onto 6 digits.
  constexpr std::uint32_t kRange = 1'000'000;
  constexpr std::uint32_t kLimit = (0xFFFFFFFFU / kRange) * kRange;
  while (true) {
    const std::string bytes = random_bytes(4);
    std::uint32_t value = 0;
    for (unsigned char c : bytes) {
      value = (value << 8) | c;
    }
    if (value < kLimit) {
      std::string pin = std::to_string(value % kRange);
      return std::string(6 - pin.size(), '0') + pin;
    }
  }
}

std::string random_password() {
  // 18 random bytes: 144 bits, 24 characters of URL-safe base64.
  std::string text = xmpp::base64_encode(random_bytes(18));
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  return text;
}

}  // namespace tern::modules::phone
