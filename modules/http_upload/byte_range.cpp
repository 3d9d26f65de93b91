// SPDX-License-Identifier: MIT
#include "modules/http_upload/byte_range.h"

#include <optional>

namespace tern::modules::http_upload {
namespace {

// Decimal digits only, no sign, no overflow; empty is nullopt.
std::optional<std::uint64_t> number(std::string_view text) {
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

ByteRange parse_byte_range(std::string_view header, std::uint64_t size) {
  ByteRange whole;
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) {
    return whole;  // absent, or a unit nobody asked us to know
  }
  std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) {
    return whole;  // several ranges: the whole file is a valid answer
  }
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) {
    return whole;  // not a range: ignored, as RFC 9110 §14.2 allows for an invalid one
  }
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));
  const std::optional<std::uint64_t> first = number(first_text);
  const std::optional<std::uint64_t> last = number(last_text);
  ByteRange range;
  range.kind = ByteRange::Kind::Part;
  if (first_text.empty()) {
    // "-N": the last N bytes.
    if (!last) {
      return whole;
    }
    if (*last == 0 || size == 0) {
      return ByteRange{ByteRange::Kind::Unsatisfiable};
    }
    range.first = *last >= size ? 0 : size - *last;
    range.last = size - 1;
    return range;
  }
  if (!first) {
    return whole;
  }
  if (!last_text.empty() && (!last || *last < *first)) {
    return whole;  // invalid: ignored
  }
  if (*first >= size) {
    return ByteRange{ByteRange::Kind::Unsatisfiable};
  }
  range.first = *first;
  range.last = last && *last < size ? *last : size - 1;
  return range;
}

}  // namespace tern::modules::http_upload
