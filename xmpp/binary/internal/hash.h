// SPDX-License-Identifier: MIT
// A fast non-cryptographic hash of a short string (names, tokens, addresses) for the codec's
// lookup tables: the length and the first and last eight bytes, mixed. Collisions only cost a
// comparison; nothing secret depends on it, and every table it indexes is bounded.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tern::xmpp::binary {

inline std::uint64_t hash_bytes(std::string_view s) {
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  if (s.size() >= 8) {
    std::memcpy(&head, s.data(), 8);
    std::memcpy(&tail, s.data() + s.size() - 8, 8);
  } else if (!s.empty()) {
    std::memcpy(&head, s.data(), s.size());
  }
  std::uint64_t h = (head ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
  h ^= (tail + s.size()) * 0x94D049BB133111EBULL;
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93ULL;
  return h ^ (h >> 32);
}

}  // namespace tern::xmpp::binary
