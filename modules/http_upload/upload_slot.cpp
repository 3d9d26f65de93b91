// SPDX-License-Identifier: MIT
#include "modules/http_upload/upload_slot.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "xmpp/random_ids.h"

namespace tern::modules::http_upload {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kUpperHex = "0123456789ABCDEF";  // RFC 3986 §2.1 prefers upper case

std::string hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0F];
  }
  return out;
}

std::string_view without_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') {
    url.remove_suffix(1);
  }
  return url;
}

}  // namespace

std::string slot_token(std::string_view secret, std::string_view path, std::uint64_t size,
                       std::string_view content_type) {
  std::string message(path);
  message += '\0';
  message += std::to_string(size);
  message += '\0';
  message += content_type;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return hex(digest.data(), length);
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kUpperHex[u >> 4];
      out += kUpperHex[u & 0x0F];
    }
  }
  return out;
}

bool percent_decode(std::string_view text, std::string& out) {
  auto digit = [](char c) -> int {
    const std::size_t at = kUpperHex.find(c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
  };
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return false;
    }
    const int high = digit(text[i + 1]);
    const int low = digit(text[i + 2]);
    if (high < 0 || low < 0 || (high == 0 && low == 0)) {
      return false;
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

bool acceptable_filename(std::string_view filename) {
  if (filename.empty() || filename.size() > 255 || filename == "." || filename == "..") {
    return false;
  }
  for (char c : filename) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7F) {
      return false;
    }
  }
  return true;
}

Slot make_slot(std::string_view put_base, std::string_view get_base, std::string_view secret,
               std::string_view filename, std::uint64_t size, std::string_view content_type) {
  const std::string uuid = xmpp::random_uuid();  // the part of the path nobody can guess
  const std::string encoded_path = uuid + "/" + percent_encode(filename);
  Slot slot;
  slot.put_url = std::string(without_trailing_slash(put_base)) + "/" + encoded_path + "?v2=" +
                 slot_token(secret, uuid + "/" + std::string(filename), size, content_type);
  slot.get_url = std::string(without_trailing_slash(get_base)) + "/" + encoded_path;
  return slot;
}

}  // namespace tern::modules::http_upload
