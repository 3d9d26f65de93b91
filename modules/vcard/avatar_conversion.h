// SPDX-License-Identifier: MIT
// XEP-0398: one avatar whichever way a client sets it. A PEP avatar (XEP-0084: the image in
// urn:xmpp:avatar:data, its description in urn:xmpp:avatar:metadata, both under the image's
// SHA-1) shows as the vCard's PHOTO and as the XEP-0153 hash in presence; a vCard PHOTO a client
// sets is published as the PEP avatar. XEP-0084's id and XEP-0153's hash are both the SHA-1 of
// the image, so the two never disagree about which image is meant. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modules/services/pep_service.h"
#include "xmpp/element.h"

namespace tern::modules::vcard {

inline constexpr std::string_view kAvatarData = "urn:xmpp:avatar:data";
inline constexpr std::string_view kAvatarMetadata = "urn:xmpp:avatar:metadata";

struct Avatar {
  std::string id;      // lowercase hex SHA-1 of the image
  std::string type;    // its media type
  std::string base64;  // the image
};

// The account's current PEP avatar: the newest metadata item's first <info/> with its image in
// the data node (only images published there: an avatar elsewhere, by URL, is not one a vCard
// can hold); nullopt when there is none or the user disabled it (an empty <metadata/>).
std::optional<Avatar> pep_avatar(const std::vector<pep::PepItem>& metadata,
                                 const std::vector<pep::PepItem>& data);

// The id (image SHA-1) of the newest metadata item's first <info/>, without reading the image:
// what presence carries. nullopt when there is none.
std::optional<std::string> pep_avatar_id(const std::vector<pep::PepItem>& metadata);

// Sets the vCard's PHOTO to the avatar (replacing one it had).
void set_photo(xmpp::Element& vcard, const Avatar& avatar);

// The PEP items for a vCard's PHOTO, (data item, metadata item); nullopt without a photo or
// when it cannot be decoded.
std::optional<std::pair<pep::PepItem, pep::PepItem>> pep_items_for(const xmpp::Element& vcard);

}  // namespace tern::modules::vcard
