// SPDX-License-Identifier: MIT
#include "tools/tern-bench/stats.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace tern::bench {

namespace {

bool parse_u64(std::string_view text, std::uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  // std::from_chars for double exists in GCC 12; strtod needs a terminated copy anyway.
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

// Values below 16 get a bucket each; above, 16 buckets per power of two.
std::size_t Histogram::index_of(std::uint64_t value) {
  if (value < 16) {
    return static_cast<std::size_t>(value);
  }
  const int msb = static_cast<int>(std::bit_width(value)) - 1;  // >= 4
  const std::uint64_t sub = (value >> (msb - 4)) & 15;          // the 4 bits after the leading one
  const std::size_t index = 16 + static_cast<std::size_t>(msb - 4) * 16 + sub;
  return std::min(index, kBuckets - 1);
}

std::uint64_t Histogram::upper_bound_of(std::size_t index) {
  if (index < 16) {
    return index;
  }
  const std::size_t msb = (index - 16) / 16 + 4;
  const std::uint64_t sub = (index - 16) % 16;
  const std::uint64_t width = std::uint64_t{1} << (msb - 4);
  return (std::uint64_t{1} << msb) + sub * width + width - 1;
}

void Histogram::record(std::uint64_t micros) {
  ++counts_[index_of(micros)];
  ++count_;
  max_ = std::max(max_, micros);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double fraction) const {
  if (count_ == 0) {
    return 0;
  }
  const auto wanted =
      static_cast<std::uint64_t>(std::llround(fraction * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(wanted, 1)) {
      return std::min(upper_bound_of(i), max_);
    }
  }
  return max_;
}

std::string Histogram::to_text() const {
  std::string text;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) {
      if (!text.empty()) {
        text += ',';
      }
      text += std::to_string(i) + ':' + std::to_string(counts_[i]);
    }
  }
  text += ';' + std::to_string(max_);
  return text;
}

bool Histogram::add_text(std::string_view text) {
  const std::size_t semicolon = text.rfind(';');
  if (semicolon == std::string_view::npos) {
    return false;
  }
  std::uint64_t max = 0;
  if (!parse_u64(text.substr(semicolon + 1), max)) {
    return false;
  }
  std::string_view buckets = text.substr(0, semicolon);
  while (!buckets.empty()) {
    const std::size_t comma = buckets.find(',');
    std::string_view item = buckets.substr(0, comma);
    buckets = comma == std::string_view::npos ? std::string_view() : buckets.substr(comma + 1);
    const std::size_t colon = item.find(':');
    std::uint64_t index = 0;
    std::uint64_t count = 0;
    if (colon == std::string_view::npos || !parse_u64(item.substr(0, colon), index) ||
        !parse_u64(item.substr(colon + 1), count) || index >= kBuckets) {
      return false;
    }
    counts_[index] += count;
    count_ += count;
  }
  max_ = std::max(max_, max);
  return true;
}

void Stats::merge(const Stats& other) {
  sessions_wanted += other.sessions_wanted;
  sessions_up += other.sessions_up;
  sessions_failed += other.sessions_failed;
  // Processes set up in parallel: the run took as long as the slowest.
  setup_seconds = std::max(setup_seconds, other.setup_seconds);
  sent += other.sent;
  received += other.received;
  received_in_window += other.received_in_window;
  expected += other.expected;
  cpu_setup_seconds += other.cpu_setup_seconds;
  cpu_user_seconds += other.cpu_user_seconds;
  cpu_sys_seconds += other.cpu_sys_seconds;
  logins.merge(other.logins);
  latency.merge(other.latency);
}

std::string Stats::to_text() const {
  char numbers[512];
  std::snprintf(numbers, sizeof numbers,
                "wanted=%llu up=%llu failed=%llu setup=%.6f sent=%llu received=%llu window=%llu "
                "expected=%llu setupcpu=%.6f user=%.6f sys=%.6f",
                static_cast<unsigned long long>(sessions_wanted),
                static_cast<unsigned long long>(sessions_up),
                static_cast<unsigned long long>(sessions_failed), setup_seconds,
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
                static_cast<unsigned long long>(received_in_window),
                static_cast<unsigned long long>(expected), cpu_setup_seconds, cpu_user_seconds,
                cpu_sys_seconds);
  return std::string(numbers) + " logins=" + logins.to_text() + " latency=" + latency.to_text();
}

bool Stats::add_text(std::string_view line) {
  Stats parsed;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    std::string_view word = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const std::size_t equals = word.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    const std::string_view key = word.substr(0, equals);
    const std::string_view value = word.substr(equals + 1);
    bool ok = true;
    if (key == "wanted") {
      ok = parse_u64(value, parsed.sessions_wanted);
    } else if (key == "up") {
      ok = parse_u64(value, parsed.sessions_up);
    } else if (key == "failed") {
      ok = parse_u64(value, parsed.sessions_failed);
    } else if (key == "setup") {
      ok = parse_double(value, parsed.setup_seconds);
    } else if (key == "sent") {
      ok = parse_u64(value, parsed.sent);
    } else if (key == "received") {
      ok = parse_u64(value, parsed.received);
    } else if (key == "window") {
      ok = parse_u64(value, parsed.received_in_window);
    } else if (key == "expected") {
      ok = parse_u64(value, parsed.expected);
    } else if (key == "setupcpu") {
      ok = parse_double(value, parsed.cpu_setup_seconds);
    } else if (key == "user") {
      ok = parse_double(value, parsed.cpu_user_seconds);
    } else if (key == "sys") {
      ok = parse_double(value, parsed.cpu_sys_seconds);
    } else if (key == "logins") {
      ok = parsed.logins.add_text(value);
    } else if (key == "latency") {
      ok = parsed.latency.add_text(value);
    }
    if (!ok) {
      return false;
    }
  }
  merge(parsed);
  return true;
}

}  // namespace tern::bench
