// SPDX-License-Identifier: MIT
// Code point strings for JID preparation: strict UTF-8 decoding (ICU's converters would hide bad
// input behind U+FFFD) and encoding, conversion to and from ICU's UTF-16 strings, and the ICU
// normalizer singletons (NFC, NFKC) that the PRECIS mappings and the IDNA2008 Unstable category
// use. Declared in precis_internal.h.
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <cstdlib>

#include "xmpp/precis/precis_internal.h"

namespace tern::xmpp::precis::internal {

bool decode_utf8(std::string_view in, std::u32string& out) {
  out.clear();
  out.reserve(in.size());
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b0 = p[i];
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
      lo = b0 == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
      hi = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
      lo = b0 == 0xF0 ? 0x90 : 0x80;  // no overlong forms
      hi = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char b = p[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) {
        return false;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return true;
}

std::size_t utf8_length(std::u32string_view cps) {
  std::size_t n = 0;
  for (char32_t c : cps) {
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

void append_utf8(std::u32string_view cps, std::string& out) {
  for (char32_t c : cps) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

icu::UnicodeString to_icu(std::u32string_view cps) {
  icu::UnicodeString s;
  for (char32_t c : cps) {
    s.append(static_cast<UChar32>(c));
  }
  return s;
}

void from_icu(const icu::UnicodeString& s, std::u32string& out) {
  out.clear();
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
}

const icu::Normalizer2& nfc() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(err);
    if (U_FAILURE(err) || n == nullptr) {
      std::abort();
    }
    return n;
  }();
  return *instance;
}

const icu::Normalizer2& nfkc() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(err);
    if (U_FAILURE(err) || n == nullptr) {
      std::abort();
    }
    return n;
  }();
  return *instance;
}

}  // namespace tern::xmpp::precis::internal
