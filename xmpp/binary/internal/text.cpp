// SPDX-License-Identifier: MIT
// Byte classes, XML text validation (UTF-8 with an ASCII fast path) and name checks.
#include "xmpp/binary/internal/text.h"

#include <array>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace tern::xmpp::binary {
namespace {

constexpr std::array<std::uint16_t, 256> make_classes() {
  std::array<std::uint16_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint16_t k = cls::kOther;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      k = cls::kControl;
    } else if (c >= 0x80) {
      k = cls::kHigh;
    } else if (c >= '0' && c <= '9') {
      k = cls::kDigit;
    } else if (c >= 'a' && c <= 'f') {
      k = cls::kHexLower;
    } else if (c >= 'A' && c <= 'F') {
      k = cls::kHexUpper;
    } else if (c >= 'g' && c <= 'z') {
      k = cls::kAlphaLower;
    } else if (c >= 'G' && c <= 'Z') {
      k = cls::kAlphaUpper;
    } else if (c == '+') {
      k = cls::kPlus;
    } else if (c == '/') {
      k = cls::kSlash;
    } else if (c == '-') {
      k = cls::kMinus;
    } else if (c == '_') {
      k = cls::kUnderscore;
    } else if (c == '=') {
      k = cls::kEquals;
    } else if (c == '@') {
      k = cls::kAt;
    }
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}

// Validates one multi-byte UTF-8 sequence starting at p (p[0] >= 0x80); returns its length, or 0.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < n) {
    return 0;
  }
  for (std::size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    return 0;  // overlong or out of range
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
    return 0;  // surrogates are not UTF-8; U+FFFE and U+FFFF are not XML Chars
  }
  return n;
}

}  // namespace

constexpr std::array<std::uint16_t, 256> kCharClass = make_classes();

bool valid_xml_text(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p != end) {
    // ASCII fast path, eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      // High bit set in any byte, or any byte below 0x20: take the slow path for this word.
      std::uint64_t low = (word - 0x2020202020202020ULL) & ~word;
      if (((word | low) & 0x8080808080808080ULL) != 0) {
        break;
      }
      p += 8;
    }
    if (p == end) {
      break;
    }
    unsigned char c = *p;
    if (c < 0x80) {
      if ((kCharClass[c] & cls::kControl) != 0) {
        return false;
      }
      ++p;
      continue;
    }
    std::size_t n = utf8_sequence(p, end);
    if (n == 0) {
      return false;
    }
    p += n;
  }
  return true;
}

bool valid_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  auto start = static_cast<unsigned char>(name[0]);
  if ((kCharClass[start] & (cls::kHexLower | cls::kHexUpper | cls::kAlphaLower | cls::kAlphaUpper |
                            cls::kUnderscore)) == 0) {
    return false;
  }
  for (unsigned char c : name) {
    if ((kCharClass[c] & (cls::kAlnum | cls::kUnderscore | cls::kMinus)) == 0 && c != '.') {
      return false;
    }
  }
  return true;
}

namespace {

// Whether any of the eight bytes is below 0x20 (may say yes for a byte of 0xA0 and above next to
// a low one: the caller then checks exactly).
bool word_has_low(const unsigned char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return (((word - 0x2020202020202020ULL) & ~word) & 0x8080808080808080ULL) != 0;
}

bool exact_controls(const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if ((kCharClass[p[i]] & cls::kControl) != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool has_controls(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size();
  if (n < 8) {
    return exact_controls(p, n);
  }
  if (n < 16) {  // two overlapping words
    return (word_has_low(p) || word_has_low(p + n - 8)) && exact_controls(p, n);
  }
#ifdef __SSE2__
  // Sixteen bytes at a time, the last block overlapping: any byte below 0x20 (a signed compare,
  // so bytes of 0x80 and above, negative, are left out).
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i zero = _mm_setzero_si128();
  for (std::size_t at = 0;; at += 16) {
    if (at + 16 > n) {
      at = n - 16;
    }
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    __m128i low = _mm_andnot_si128(_mm_cmplt_epi8(v, zero), _mm_cmplt_epi8(v, space));
    if (_mm_movemask_epi8(low) != 0 && exact_controls(p + at, 16)) {
      return true;
    }
    if (at + 16 == n) {
      return false;
    }
  }
#else
  for (std::size_t at = 0;; at += 8) {
    if (at + 8 > n) {
      at = n - 8;
    }
    if (word_has_low(p + at) && exact_controls(p + at, 8)) {
      return true;
    }
    if (at + 8 == n) {
      return false;
    }
  }
#endif
}

void replace_controls(std::string_view text, std::string& out) {
  out.clear();
  for (unsigned char c : text) {
    if ((kCharClass[c] & cls::kControl) != 0) {
      out += "\xEF\xBF\xBD";
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace tern::xmpp::binary
