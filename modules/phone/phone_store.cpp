// SPDX-License-Identifier: MIT
#include "modules/phone/phone_store.h"

#include <openssl/sha.h>

#include <algorithm>

namespace tern::modules::phone {

std::string contact_hash_hex(std::string_view e164) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(e164.data()), e164.size(), digest);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < kContactHashBytes; ++i) {
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 0xF];
  }
  return out;
}

std::optional<std::string> contact_hash_key(std::string_view hex) {
  if (hex.size() != 2 * kContactHashBytes) {
    return std::nullopt;
  }
  std::string key;
  for (char c : hex) {
    const char lower = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) {
      return std::nullopt;
    }
    key += lower;
  }
  return key;  // the index is keyed by the lowercase hex itself
}

std::string pin_key(std::string_view host, std::string_view e164) {
  std::string key(host);
  key += '\0';
  key += e164;
  return key;
}

std::string index_key(std::string_view host, std::string_view hash_hex) {
  return pin_key(host, hash_hex);  // the same shape
}

bool is_number_localpart(std::string_view localpart) {
  return localpart.size() >= 7 && localpart.size() <= 15 &&
         std::all_of(localpart.begin(), localpart.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace tern::modules::phone
