// SPDX-License-Identifier: MIT
// XEP-0153 vCard-based avatars: the SHA-1 of a vCard's photo, and the
// <x xmlns='vcard-temp:x:update'><photo>HASH</photo></x> the server puts in its user's presence
// when the client did not (§4.3 lets the server do it: a client that sent none has no idea;
// a client that sent one, even an empty one, knows better than the server).
#pragma once

#include <optional>
#include <string>

#include "xmpp/element.h"

namespace tern::modules::vcard {

// The lowercase hex SHA-1 of the decoded <PHOTO><BINVAL/></PHOTO> (whitespace in the base64 is
// ignored, as vCards fold long lines); "" when the vCard has no photo (§3.1: an empty <photo/>
// says "no avatar"); nullopt when the photo cannot be decoded.
std::optional<std::string> photo_hash(const xmpp::Element& vcard);

// Adds the update element with `hash` to an available presence that carries none; whether it
// did.
bool stamp_photo_hash(xmpp::Element& presence, const std::string& hash);

}  // namespace tern::modules::vcard
