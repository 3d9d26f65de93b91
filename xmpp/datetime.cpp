// SPDX-License-Identifier: MIT
#include "xmpp/datetime.h"

#include <cstdio>
#include <ctime>

namespace tern::xmpp {

std::string xep82_datetime(std::chrono::system_clock::time_point when) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];  // generous: the compiler cannot bound every int field
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> read_number(std::string_view text, std::size_t& pos, std::size_t digits) {
  if (pos + digits > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_xep82_datetime(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto year = read_number(text, pos, 4);
  if (!year || !expect(text, pos, '-')) {
    return std::nullopt;
  }
  auto month = read_number(text, pos, 2);
  if (!month || !expect(text, pos, '-')) {
    return std::nullopt;
  }
  auto day = read_number(text, pos, 2);
  if (!day || !expect(text, pos, 'T')) {
    return std::nullopt;
  }
  auto hour = read_number(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) {
    return std::nullopt;
  }
  auto minute = read_number(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) {
    return std::nullopt;
  }
  auto second = read_number(text, pos, 2);
  if (!second) {
    return std::nullopt;
  }
  microseconds fraction{0};
  if (expect(text, pos, '.')) {
    std::size_t start = pos;
    std::int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += microseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  minutes offset{0};
  if (!expect(text, pos, 'Z')) {
    bool negative = pos < text.size() && text[pos] == '-';
    if (!expect(text, pos, '+') && !expect(text, pos, '-')) {
      return std::nullopt;
    }
    auto oh = read_number(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) {
      return std::nullopt;
    }
    auto om = read_number(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = minutes(*oh * 60 + *om) * (negative ? -1 : 1);
  }
  year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                      std::chrono::day(static_cast<unsigned>(*day))};
  if (pos != text.size() || !date.ok() || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  return sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) + fraction - offset;
}

}  // namespace tern::xmpp
