// SPDX-License-Identifier: MIT
// XEP-0363 upload slots as URLs for an HTTP upload server that is not Tern: the server keeps no
// files and no state per slot. A slot is a random path ("UUID/FILENAME"); the PUT URL carries a
// token that proves this server granted exactly that path, size and content type, which the
// upload server checks with the shared secret before it accepts the bytes (docs/http-upload.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::modules::http_upload {

// v2 = hex(HMAC-SHA256(secret, path + '\0' + size + '\0' + content_type)), where path is the slot
// path, not percent-encoded ("UUID/FILENAME").
std::string slot_token(std::string_view secret, std::string_view path, std::uint64_t size,
                       std::string_view content_type);

// Percent-encodes everything but RFC 3986 unreserved characters (a path segment in a URL).
std::string percent_encode(std::string_view text);
// The reverse: false for a malformed escape or an encoded NUL.
bool percent_decode(std::string_view text, std::string& out);

// A filename a client may ask for: 1 to 255 bytes, no '/', no NUL or other control characters,
// not "." or "..". Nothing else is judged: names are the user's, in any script.
bool acceptable_filename(std::string_view filename);

struct Slot {
  std::string put_url;  // with ?v2=TOKEN
  std::string get_url;
};

// The URLs of a new slot under the two base URLs (no trailing '/' needed) for `filename`.
Slot make_slot(std::string_view put_base, std::string_view get_base, std::string_view secret,
               std::string_view filename, std::uint64_t size, std::string_view content_type);

}  // namespace tern::modules::http_upload
