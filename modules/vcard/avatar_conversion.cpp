// SPDX-License-Identifier: MIT
#include "modules/vcard/avatar_conversion.h"

#include <cctype>

#include "modules/vcard/avatar_hash.h"
#include "xmpp/base64.h"
#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza.h"
#include "xmpp/stream_parser.h"

namespace tern::modules::vcard {

std::optional<Avatar> pep_avatar(const std::vector<pep::PepItem>& metadata,
                                 const std::vector<pep::PepItem>& data) {
  if (metadata.empty()) {
    return std::nullopt;
  }
  xmpp::StanzaPtr parsed = xmpp::parse_stanza(metadata.back().payload);
  if (parsed == nullptr || !parsed->root().is("metadata", kAvatarMetadata)) {
    return std::nullopt;
  }
  for (const xmpp::Element& info : parsed->root().children()) {
    if (!info.is("info", kAvatarMetadata) || info.attr("id").empty() || info.has_attr("url")) {
      continue;
    }
    for (const pep::PepItem& item : data) {
      if (item.id != info.attr("id")) {
        continue;
      }
      xmpp::StanzaPtr image = xmpp::parse_stanza(item.payload);
      if (image != nullptr && image->root().is("data", kAvatarData)) {
        return Avatar{item.id, std::string(info.attr("type")), std::string(image->root().text())};
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> pep_avatar_id(const std::vector<pep::PepItem>& metadata) {
  if (metadata.empty()) {
    return std::nullopt;
  }
  xmpp::StanzaPtr parsed = xmpp::parse_stanza(metadata.back().payload);
  const xmpp::Element* info =
      parsed != nullptr ? parsed->root().child("info", kAvatarMetadata) : nullptr;
  if (info == nullptr || info->attr("id").empty()) {
    return std::nullopt;
  }
  return std::string(info->attr("id"));
}

void set_photo(xmpp::Element& vcard, const Avatar& avatar) {
  if (xmpp::Element* old = vcard.child("PHOTO", xmpp::ns::kVcardTemp)) {
    vcard.remove_child(old);
  }
  xmpp::Element& photo = vcard.add_child("PHOTO", xmpp::ns::kVcardTemp);
  photo.add_child("TYPE", xmpp::ns::kVcardTemp).add_text(avatar.type);
  photo.add_child("BINVAL", xmpp::ns::kVcardTemp).add_text(avatar.base64);
}

std::optional<std::pair<pep::PepItem, pep::PepItem>> pep_items_for(const xmpp::Element& vcard) {
  const xmpp::Element* photo = vcard.child("PHOTO", xmpp::ns::kVcardTemp);
  auto id = photo_hash(vcard);
  if (photo == nullptr || !id || id->empty()) {
    return std::nullopt;
  }
  std::string base64;
  for (char c : photo->child_text("BINVAL", xmpp::ns::kVcardTemp)) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      base64 += c;
    }
  }
  const std::size_t bytes = xmpp::base64_decode(base64).value_or(std::string()).size();
  std::string type(photo->child_text("TYPE", xmpp::ns::kVcardTemp));
  if (type.empty()) {
    type = "image/png";  // XEP-0084 requires a type; vCards often omit it
  }
  xmpp::StanzaPtr data = xmpp::Stanza::create("data", kAvatarData);
  data->root().add_text(base64);
  xmpp::StanzaPtr metadata = xmpp::Stanza::create("metadata", kAvatarMetadata);
  metadata->root()
      .add_child("info")
      .set_attr("id", *id)
      .set_attr("bytes", std::to_string(bytes))
      .set_attr("type", type);
  return std::pair<pep::PepItem, pep::PepItem>{{*id, xmpp::to_xml(data->root())},
                                               {*id, xmpp::to_xml(metadata->root())}};
}

}  // namespace tern::modules::vcard
