// SPDX-License-Identifier: MIT
// Commits that fail on purpose (see commit_faults.h).
#include "storage/commit_faults.h"

#include <lmdb.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace tern::storage {
namespace {

struct NamedCode {
  std::string_view name;
  int code;
};
constexpr NamedCode kCodes[] = {{"EIO", EIO}, {"ENOSPC", ENOSPC}, {"MAP_FULL", MDB_MAP_FULL}};

std::optional<std::uint64_t> positive(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<CommitFaults> CommitFaults::parse(std::string_view spec) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if ((parts.size() != 3 && parts.size() != 4) || parts[0] != "commit") {
    return std::nullopt;
  }
  auto first = positive(parts[1]);
  auto count = parts.size() == 4 ? positive(parts[3]) : std::optional<std::uint64_t>(1);
  for (const NamedCode& named : kCodes) {
    if (named.name == parts[2] && first && count) {
      return CommitFaults(*first, named.code, *count);
    }
  }
  return std::nullopt;
}

int CommitFaults::next() {
  std::uint64_t commit = commits_.fetch_add(1) + 1;
  return commit >= first_ && commit - first_ < count_ ? code_ : 0;
}

std::string CommitFaults::describe() const {
  std::string_view name = "?";
  for (const NamedCode& named : kCodes) {
    if (named.code == code_) {
      name = named.name;
    }
  }
  return "commits " + std::to_string(first_) + " to " + std::to_string(first_ + count_ - 1) +
         " fail with " + std::string(name);
}

}  // namespace tern::storage
