// SPDX-License-Identifier: MIT
#include "modules/vcard/avatar_hash.h"

#include <openssl/evp.h>

#include <cctype>

#include "xmpp/base64.h"
#include "xmpp/namespaces.h"

namespace tern::modules::vcard {

std::optional<std::string> photo_hash(const xmpp::Element& vcard) {
  const xmpp::Element* photo = vcard.child("PHOTO", xmpp::ns::kVcardTemp);
  const xmpp::Element* binval = photo ? photo->child("BINVAL", xmpp::ns::kVcardTemp) : nullptr;
  if (binval == nullptr) {
    return std::string();
  }
  std::string text;
  for (char c : binval->text()) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      text += c;
    }
  }
  auto bytes = xmpp::base64_decode(text);
  if (!bytes) {
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes->data(), bytes->size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

bool stamp_photo_hash(xmpp::Element& presence, const std::string& hash) {
  if (!presence.attr("type").empty() || presence.child("x", xmpp::ns::kVcardUpdate) != nullptr) {
    return false;
  }
  xmpp::Element& photo =
      presence.add_child("x", xmpp::ns::kVcardUpdate).add_child("photo", xmpp::ns::kVcardUpdate);
  if (!hash.empty()) {
    photo.add_text(hash);
  }
  return true;
}

}  // namespace tern::modules::vcard
