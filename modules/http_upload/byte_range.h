// SPDX-License-Identifier: MIT
// RFC 9110 §14: the one byte range of a GET that asks for part of a file ("Range: bytes=0-99",
// "bytes=100-", "bytes=-100"). Several ranges in one request are answered with the whole file
// (a server may ignore Range), which keeps responses simple and single-part.
#pragma once

#include <cstdint>
#include <string_view>

namespace tern::modules::http_upload {

struct ByteRange {
  enum class Kind : std::uint8_t {
    Whole,          // no Range, several ranges, or not "bytes": 200 with everything
    Part,           // 206 with [first, last]
    Unsatisfiable,  // 416 with "Content-Range: bytes */SIZE"
  };
  Kind kind = Kind::Whole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

// The range a Range header value asks for in a file of `size` bytes.
ByteRange parse_byte_range(std::string_view header, std::uint64_t size);

}  // namespace tern::modules::http_upload
