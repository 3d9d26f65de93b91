// SPDX-License-Identifier: MIT
// Typed-value conversions: table-driven, no allocation, canonical forms only.
#include "xmpp/binary/internal/typed.h"

#include <array>
#include <string>

#include "xmpp/binary/format.h"
#include "xmpp/binary/internal/text.h"

namespace tern::xmpp::binary {
namespace {

constexpr char kHexLowerDigits[] = "0123456789abcdef";
constexpr char kHexUpperDigits[] = "0123456789ABCDEF";
constexpr char kB64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::uint8_t, 256> make_b64_values() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) {
    v = 0xFF;
  }
  for (std::uint8_t i = 0; i < 64; ++i) {
    t[static_cast<std::uint8_t>(kB64Std[i])] = i;
    t[static_cast<std::uint8_t>(kB64Url[i])] = i;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kB64Values = make_b64_values();

// kB64Values shifted into place for each of the four characters of a group.
constexpr std::array<std::uint32_t, 256> make_b64_shifted(int shift) {
  std::array<std::uint32_t, 256> t{};
  for (std::size_t c = 0; c < 256; ++c) {
    t[c] = static_cast<std::uint32_t>(kB64Values[c] & 0x3F) << shift;
  }
  return t;
}
constexpr std::array<std::uint32_t, 256> kB64Shift18 = make_b64_shifted(18);
constexpr std::array<std::uint32_t, 256> kB64Shift12 = make_b64_shifted(12);
constexpr std::array<std::uint32_t, 256> kB64Shift6 = make_b64_shifted(6);
constexpr std::array<std::uint32_t, 256> kB64Shift0 = make_b64_shifted(0);

// Per byte: 1 standard-only ('+', '/'), 2 URL-only ('-', '_'), 0 either alphabet, 4 '=',
// 8 not base64.
constexpr std::array<std::uint8_t, 256> make_b64_kinds() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = kB64Values[static_cast<std::size_t>(c)] == 0xFF ? 8 : 0;
  }
  t['+'] = 1;
  t['/'] = 1;
  t['-'] = 2;
  t['_'] = 2;
  t['='] = 4;
  return t;
}
constexpr std::array<std::uint8_t, 256> kB64Kinds = make_b64_kinds();

// Hex digit value in the low nibble; 0x10 for a-f, 0x20 for A-F, 0x40 for a non-digit.
constexpr std::array<std::uint8_t, 256> make_hex_values() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) {
    v = 0x40;
  }
  for (int c = 0; c < 10; ++c) {
    t['0' + c] = static_cast<std::uint8_t>(c);
  }
  for (int c = 0; c < 6; ++c) {
    t['a' + c] = static_cast<std::uint8_t>(0x10 | (10 + c));
    t['A' + c] = static_cast<std::uint8_t>(0x20 | (10 + c));
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kHexValues = make_hex_values();

std::uint8_t nibble(char c) {
  return kHexValues[static_cast<std::uint8_t>(c)] & 0x0F;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, unsigned& value) {
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

void put_digits(char* out, unsigned value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

constexpr std::uint64_t kMaxSeconds = 253402300799ULL;  // 9999-12-31T23:59:59Z

}  // namespace

bool parse_uuid(std::string_view text, bool& upper, std::uint8_t* out16) {
  if (text.size() != kUuidText || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return false;
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  std::uint8_t flags = 0;
  auto pair = [&](std::size_t at) {
    std::uint8_t hi = kHexValues[p[at]];
    std::uint8_t lo = kHexValues[p[at + 1]];
    flags |= hi | lo;
    return static_cast<std::uint8_t>((hi & 0x0F) << 4 | (lo & 0x0F));
  };
  out16[0] = pair(0);
  out16[1] = pair(2);
  out16[2] = pair(4);
  out16[3] = pair(6);
  out16[4] = pair(9);
  out16[5] = pair(11);
  out16[6] = pair(14);
  out16[7] = pair(16);
  out16[8] = pair(19);
  out16[9] = pair(21);
  out16[10] = pair(24);
  out16[11] = pair(26);
  out16[12] = pair(28);
  out16[13] = pair(30);
  out16[14] = pair(32);
  out16[15] = pair(34);
  if ((flags & 0x40) != 0 || (flags & 0x30) == 0x30) {
    return false;
  }
  upper = (flags & 0x20) != 0;
  return true;
}

void format_uuid(const std::uint8_t* bytes16, bool upper, char* out36) {
  const char* alphabet = upper ? kHexUpperDigits : kHexLowerDigits;
  std::size_t o = 0;
  for (std::size_t i = 0; i < kUuidBytes; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out36[o++] = '-';
    }
    out36[o++] = alphabet[bytes16[i] >> 4];
    out36[o++] = alphabet[bytes16[i] & 0x0F];
  }
}

void hex_pack(std::string_view digits, std::uint8_t* out) {
  std::size_t i = 0;
  std::size_t o = 0;
  if (digits.size() % 2 == 1) {
    out[o++] = nibble(digits[0]);
    i = 1;
  }
  for (; i < digits.size(); i += 2) {
    out[o++] = static_cast<std::uint8_t>(nibble(digits[i]) << 4 | nibble(digits[i + 1]));
  }
}

bool hex_unpack(const std::uint8_t* packed, std::size_t digits, bool upper, char* out) {
  const char* alphabet = upper ? kHexUpperDigits : kHexLowerDigits;
  std::size_t o = 0;
  std::size_t i = 0;
  if (digits % 2 == 1) {
    if (packed[0] > 0x0F) {
      return false;
    }
    out[o++] = alphabet[packed[0]];
    i = 1;
  }
  for (; o < digits; ++i) {
    out[o++] = alphabet[packed[i] >> 4];
    out[o++] = alphabet[packed[i] & 0x0F];
  }
  return true;
}

bool parse_uint(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 20 || (text[0] == '0' && text.size() > 1)) {
    return false;
  }
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  value = v;
  return true;
}

std::size_t format_uint(std::uint64_t value, char* out20) {
  char buffer[20];
  std::size_t n = 0;
  do {
    buffer[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (std::size_t i = 0; i < n; ++i) {
    out20[i] = buffer[n - 1 - i];
  }
  return n;
}

int hex_case(std::string_view text) {
  std::uint8_t flags = 0;
  for (char c : text) {
    flags |= kHexValues[static_cast<std::uint8_t>(c)];
    if ((flags & 0x40) != 0) {
      return 0;
    }
  }
  return (flags & 0x30) == 0x30 ? 0 : (flags & 0x20) != 0 ? 2 : 1;
}

std::uint8_t base64_parse(std::string_view text, std::string& bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  std::size_t n = text.size();
  bytes.resize(n / 4 * 3 + 3);
  auto* o = reinterpret_cast<std::uint8_t*>(bytes.data());
  std::uint8_t seen = 0;  // kB64Kinds bits: 1 standard, 2 URL
  std::size_t i = 0;
  std::size_t w = 0;
  for (; i + 4 <= n; i += 4) {  // whole groups while there is no '=' or junk
    std::uint8_t kinds =
        kB64Kinds[p[i]] | kB64Kinds[p[i + 1]] | kB64Kinds[p[i + 2]] | kB64Kinds[p[i + 3]];
    if ((kinds & 0x0C) != 0) {
      break;
    }
    seen |= kinds;
    std::uint32_t v =
        kB64Shift18[p[i]] | kB64Shift12[p[i + 1]] | kB64Shift6[p[i + 2]] | kB64Shift0[p[i + 3]];
    o[w] = static_cast<std::uint8_t>(v >> 16);
    o[w + 1] = static_cast<std::uint8_t>(v >> 8);
    o[w + 2] = static_cast<std::uint8_t>(v);
    w += 3;
  }
  std::size_t body = i;
  for (; body < n && p[body] != '='; ++body) {
    std::uint8_t kind = kB64Kinds[p[body]];
    if (kind == 8) {
      return 0;
    }
    seen |= kind;
  }
  for (std::size_t j = body; j < n; ++j) {
    if (p[j] != '=') {
      return 0;
    }
  }
  std::size_t pad = n - body;
  std::size_t rem = body - i;  // characters of the last, partial group (a whole one only if pad 0)
  if (seen == 3 || body == 0 || rem == 1 || pad > 2 || (pad != 0 && rem + pad != 4)) {
    return 0;
  }
  if (rem == 4) {  // a whole last group the loop did not take (it met '=' after it)
    std::uint32_t v =
        kB64Shift18[p[i]] | kB64Shift12[p[i + 1]] | kB64Shift6[p[i + 2]] | kB64Shift0[p[i + 3]];
    o[w++] = static_cast<std::uint8_t>(v >> 16);
    o[w++] = static_cast<std::uint8_t>(v >> 8);
    o[w++] = static_cast<std::uint8_t>(v);
    rem = 0;
  }
  if (rem >= 2) {
    std::uint8_t last = kB64Values[p[body - 1]];
    if ((rem == 2 && (last & 0x0F) != 0) || (rem == 3 && (last & 0x03) != 0)) {
      return 0;  // non-zero bits after the last byte: not the canonical spelling
    }
    std::uint32_t v = kB64Shift18[p[i]] | kB64Shift12[p[i + 1]];
    if (rem == 3) {
      v |= kB64Shift6[p[i + 2]];
    }
    o[w++] = static_cast<std::uint8_t>(v >> 16);
    if (rem == 3) {
      o[w++] = static_cast<std::uint8_t>(v >> 8);
    }
  }
  bytes.resize(w);
  bool padded = pad != 0 || rem == 0;
  if (seen == 2) {
    return padded ? vbyte::kB64UrlPad : vbyte::kB64Url;
  }
  return padded ? vbyte::kB64Pad : vbyte::kB64;
}

std::size_t base64_text_size(std::size_t bytes, bool padded) {
  std::size_t full = bytes / 3 * 4;
  std::size_t rem = bytes % 3;
  if (rem == 0) {
    return full;
  }
  return full + (padded ? 4 : rem + 1);
}

void base64_encode(const std::uint8_t* bytes, std::size_t size, bool url, bool padded, char* out) {
  const char* alphabet = url ? kB64Url : kB64Std;
  std::size_t i = 0;
  std::size_t o = 0;
  for (; i + 3 <= size; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16 |
                      static_cast<std::uint32_t>(bytes[i + 1]) << 8 | bytes[i + 2];
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 0x3F];
    out[o++] = alphabet[(v >> 6) & 0x3F];
    out[o++] = alphabet[v & 0x3F];
  }
  std::size_t rem = size - i;
  if (rem != 0) {
    std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (rem == 2) {
      v |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    }
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 0x3F];
    if (rem == 2) {
      out[o++] = alphabet[(v >> 6) & 0x3F];
    }
    if (padded) {
      out[o++] = '=';
      if (rem == 1) {
        out[o++] = '=';
      }
    }
  }
}

bool parse_timestamp(std::string_view text, std::uint64_t& value, bool& millis) {
  if (text.size() != kTimestampText && text.size() != kTimestampMillisText) {
    return false;
  }
  millis = text.size() == kTimestampMillisText;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text.back() != 'Z' || (millis && text[19] != '.')) {
    return false;
  }
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  unsigned ms = 0;
  if (!digits(text, 0, 4, year) || !digits(text, 5, 2, month) || !digits(text, 8, 2, day) ||
      !digits(text, 11, 2, hour) || !digits(text, 14, 2, minute) || !digits(text, 17, 2, second) ||
      (millis && !digits(text, 20, 3, ms))) {
    return false;
  }
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && leap ? 1 : 0) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  auto days = static_cast<std::uint64_t>(days_from_civil(year, month, day));
  std::uint64_t seconds = days * 86400 + hour * 3600ULL + minute * 60ULL + second;
  value = millis ? seconds * 1000 + ms : seconds;
  return true;
}

bool format_timestamp(std::uint64_t value, bool millis, char* out) {
  std::uint64_t seconds = millis ? value / 1000 : value;
  if (seconds > kMaxSeconds) {
    return false;
  }
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(static_cast<std::int64_t>(seconds / 86400), year, month, day);
  auto in_day = static_cast<unsigned>(seconds % 86400);
  put_digits(out, static_cast<unsigned>(year), 4);
  out[4] = '-';
  put_digits(out + 5, month, 2);
  out[7] = '-';
  put_digits(out + 8, day, 2);
  out[10] = 'T';
  put_digits(out + 11, in_day / 3600, 2);
  out[13] = ':';
  put_digits(out + 14, in_day / 60 % 60, 2);
  out[16] = ':';
  put_digits(out + 17, in_day % 60, 2);
  if (millis) {
    out[19] = '.';
    put_digits(out + 20, static_cast<unsigned>(value % 1000), 3);
    out[23] = 'Z';
  } else {
    out[19] = 'Z';
  }
  return true;
}

}  // namespace tern::xmpp::binary
