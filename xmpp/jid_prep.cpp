// SPDX-License-Identifier: MIT
// PRECIS and IDNA2008 preparation of JID parts (RFC 7622 §3). Pure-ASCII parts are checked and
// lowercased with a byte table. Everything else is decoded strictly, mapped with ICU (width
// mapping, case mapping, normalization, UTS #46), and then every code point is classified by the
// derived-property algorithms of RFC 8264 §8 (PRECIS) or RFC 5892 §3 (IDNA2008), computed from
// ICU's character properties, with the contextual rules of RFC 5892 Appendix A and the bidi rule of
// RFC 5893. Computing the classes from properties, instead of shipping tables, keeps them in step
// with the Unicode version of the ICU we link, as the PRECIS framework intends (RFC 8264 §1).
#include "xmpp/jid_prep.h"

#include <arpa/inet.h>
#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unistr.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace tern::xmpp::precis {
namespace {

enum class Path : uint8_t { kAuto, kUnicodeOnly };

// ---------------------------------------------------------------------------------------------
// ASCII fast path

enum AsciiFlag : uint8_t {
  kLocalOk = 1 << 0,     // valid in a localpart
  kResourceOk = 1 << 1,  // valid in a resourcepart
  kLdh = 1 << 2,         // letter, digit or hyphen: the only ASCII allowed in a domain label
};

constexpr std::array<uint8_t, 256> make_ascii_table() {
  std::array<uint8_t, 256> table{};
  // RFC 8264 §8-§9: U+0021..U+007E (ASCII7) are PVALID in both string classes. SPACE falls in
  // Spaces: disallowed in IdentifierClass, valid in FreeformClass. U+0000..U+001F and U+007F are
  // Controls, disallowed in both. Bytes >= 0x80 are not ASCII and have no flag.
  for (int c = 0x21; c <= 0x7E; ++c) {
    table[c] = kLocalOk | kResourceOk;
  }
  table[' '] = kResourceOk;
  // RFC 7622 §3.3.1: a localpart must not contain these, although IdentifierClass allows them.
  for (char c : std::string_view("\"&'/:<>@")) {
    table[static_cast<uint8_t>(c)] &= static_cast<uint8_t>(~kLocalOk);
  }
  // RFC 5890 §2.3.1: NR-LDH labels; uppercase is accepted here and lowercased on output, as the
  // UTS #46 mapping would do.
  for (int c = 'a'; c <= 'z'; ++c) {
    table[c] |= kLdh;
    table[c - 'a' + 'A'] |= kLdh;
  }
  for (int c = '0'; c <= '9'; ++c) {
    table[c] |= kLdh;
  }
  table['-'] |= kLdh;
  return table;
}

constexpr std::array<uint8_t, 256> kAsciiTable = make_ascii_table();

constexpr bool has_flag(char c, AsciiFlag flag) {
  return (kAsciiTable[static_cast<uint8_t>(c)] & flag) != 0;
}

constexpr char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ascii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) {
    any |= static_cast<unsigned char>(c);
  }
  return any < 0x80;
}

void append_lowercase(std::string_view in, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + in.size());
  char* dst = out.data() + start;
  for (char c : in) {
    *dst++ = to_lower_ascii(c);
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and ICU helpers

// Decodes well-formed UTF-8 only (Unicode §3.9, table 3-7: no overlong forms, surrogates, or values
// above U+10FFFF). ICU's converters would substitute U+FFFD instead, hiding the error.
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

// ICU's singletons are created on first use; failure there means ICU's data is missing, which no
// caller could recover from.
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

// RFC 7622 §3.2 defers to IDNA2008; UTS #46 nontransitional processing is its usual mapping
// (RFC 5895 in spirit) and keeps ß and ς. STD3 rules keep labels to letters, digits and hyphens
// (NR-LDH, RFC 5890 §2.3.1). The IDNA object is immutable and safe to share between threads.
const icu::IDNA& uts46() {
  static const icu::IDNA* const instance = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::IDNA* idna = icu::IDNA::createUTS46Instance(
        UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_CHECK_CONTEXTO |
            UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_NONTRANSITIONAL_TO_UNICODE,
        err);
    if (U_FAILURE(err) || idna == nullptr) {
      std::abort();
    }
    return idna;
  }();
  return *instance;
}

// ---------------------------------------------------------------------------------------------
// Code point classes

enum class CpClass : uint8_t {
  kPvalid,      // valid in every class
  kFreePval,    // valid in FreeformClass only ("ID_DIS or FREE_PVAL", RFC 8264 §8)
  kContextJ,    // valid only where RFC 5892 A.1/A.2 hold
  kContextO,    // valid only where RFC 5892 A.3-A.9 hold
  kDisallowed,  // DISALLOWED or UNASSIGNED
};

// RFC 5892 §2.6, used unchanged by PRECIS (the Exceptions category of RFC 8264 §9).
std::optional<CpClass> exception_class(char32_t c) {
  switch (c) {
    case 0x00DF:  // LATIN SMALL LETTER SHARP S
    case 0x03C2:  // GREEK SMALL LETTER FINAL SIGMA
    case 0x06FD:  // ARABIC SIGN SINDHI AMPERSAND
    case 0x06FE:  // ARABIC SIGN SINDHI POSTPOSITION MEN
    case 0x0F0B:  // TIBETAN MARK INTERSYLLABIC TSHEG
    case 0x3007:  // IDEOGRAPHIC NUMBER ZERO
      return CpClass::kPvalid;
    case 0x00B7:  // MIDDLE DOT
    case 0x0375:  // GREEK LOWER NUMERAL SIGN (KERAIA)
    case 0x05F3:  // HEBREW PUNCTUATION GERESH
    case 0x05F4:  // HEBREW PUNCTUATION GERSHAYIM
    case 0x30FB:  // KATAKANA MIDDLE DOT
      return CpClass::kContextO;
    case 0x0640:  // ARABIC TATWEEL
    case 0x07FA:  // NKO LAJANYALAN
    case 0x302E:  // HANGUL SINGLE DOT TONE MARK
    case 0x302F:  // HANGUL DOUBLE DOT TONE MARK
    case 0x3031:  // VERTICAL KANA REPEAT MARK
    case 0x3032:
    case 0x3033:
    case 0x3034:
    case 0x3035:
    case 0x303B:  // VERTICAL IDEOGRAPHIC ITERATION MARK
      return CpClass::kDisallowed;
    default:
      break;
  }
  if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9)) {
    return CpClass::kContextO;  // ARABIC-INDIC and EXTENDED ARABIC-INDIC DIGITS
  }
  return std::nullopt;
}

UChar32 ucp(char32_t c) { return static_cast<UChar32>(c); }

// Unassigned (RFC 8264 §9, RFC 5892 §2.10): General_Category Cn, except noncharacters.
bool is_unassigned(char32_t c) {
  return u_charType(ucp(c)) == U_UNASSIGNED && !u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT);
}

// OldHangulJamo (RFC 8264 §9, RFC 5892 §2.9): conjoining jamo that NFC left uncombined.
bool is_old_hangul_jamo(char32_t c) {
  const int32_t type = u_getIntPropertyValue(ucp(c), UCHAR_HANGUL_SYLLABLE_TYPE);
  return type == U_HST_LEADING_JAMO || type == U_HST_VOWEL_JAMO || type == U_HST_TRAILING_JAMO;
}

// HasCompat (RFC 8264 §9): toNFKC(cp) != cp. For a single code point this is exactly
// NFKC_Quick_Check = No (checked over all of Unicode against ICU's normalizer for ICU 72), and
// the property is a table lookup instead of a normalization.
bool has_compat(char32_t c) {
  return u_getIntPropertyValue(ucp(c), UCHAR_NFKC_QUICK_CHECK) == UNORM_NO;
}

bool is_letter_digit(int8_t gc) {
  // LetterDigits (RFC 8264 §9, RFC 5892 §2.1): Ll, Lu, Lo, Nd, Lm, Mn, Mc.
  switch (gc) {
    case U_LOWERCASE_LETTER:
    case U_UPPERCASE_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_MODIFIER_LETTER:
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
      return true;
    default:
      return false;
  }
}

// The PRECIS derived property (RFC 8264 §8, categories in §9), tested in the order given there.
CpClass precis_class(char32_t c) {
  if (const std::optional<CpClass> exception = exception_class(c)) {
    return *exception;
  }
  // BackwardCompatible is empty.
  if (is_unassigned(c)) {
    return CpClass::kDisallowed;
  }
  if (c >= 0x21 && c <= 0x7E) {  // ASCII7
    return CpClass::kPvalid;
  }
  if (u_hasBinaryProperty(ucp(c), UCHAR_JOIN_CONTROL)) {
    return CpClass::kContextJ;
  }
  if (is_old_hangul_jamo(c)) {
    return CpClass::kDisallowed;
  }
  // PrecisIgnorableProperties: Default_Ignorable_Code_Point or Noncharacter_Code_Point.
  if (u_hasBinaryProperty(ucp(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT)) {
    return CpClass::kDisallowed;
  }
  const int8_t gc = u_charType(ucp(c));
  if (gc == U_CONTROL_CHAR) {
    return CpClass::kDisallowed;
  }
  if (has_compat(c)) {
    return CpClass::kFreePval;
  }
  if (is_letter_digit(gc)) {
    return CpClass::kPvalid;
  }
  switch (gc) {
    case U_TITLECASE_LETTER:  // OtherLetterDigits: Lt, Nl, No, Me
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
    case U_ENCLOSING_MARK:
    case U_SPACE_SEPARATOR:  // Spaces: Zs
    case U_MATH_SYMBOL:      // Symbols: Sm, Sc, Sk, So
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
    case U_CONNECTOR_PUNCTUATION:  // Punctuation: Pc, Pd, Ps, Pe, Pi, Pf, Po
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
      return CpClass::kFreePval;
    default:
      return CpClass::kDisallowed;  // Cf, Co, Cs, Zl, Zp
  }
}

// RFC 5892 §2.2 Unstable: toNFKC(toCaseFold(toNFKC(cp))) != cp.
bool is_unstable(char32_t c) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString original(ucp(c));
  icu::UnicodeString s = nfkc().normalize(original, err);
  s.foldCase(U_FOLD_CASE_DEFAULT);
  s = nfkc().normalize(s, err);
  return U_FAILURE(err) || s != original;
}

// The IDNA2008 derived property, RFC 5892 §3. UTS #46 admits some code points IDNA2008 does not
// (symbols, for one); RFC 7622 §3.2 asks for IDNA2008, so every U-label is checked with this too.
CpClass idna2008_class(char32_t c) {
  if (const std::optional<CpClass> exception = exception_class(c)) {
    return *exception;
  }
  if (is_unassigned(c)) {
    return CpClass::kDisallowed;
  }
  if (c < 0x80) {  // LDH (§2.5) is lowercase only; all other ASCII ends up DISALLOWED
    return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') ? CpClass::kPvalid
                                                                          : CpClass::kDisallowed;
  }
  if (u_hasBinaryProperty(ucp(c), UCHAR_JOIN_CONTROL)) {
    return CpClass::kContextJ;
  }
  if (is_unstable(c)) {
    return CpClass::kDisallowed;
  }
  // IgnorableProperties (§2.3).
  if (u_hasBinaryProperty(ucp(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      u_hasBinaryProperty(ucp(c), UCHAR_WHITE_SPACE) ||
      u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT)) {
    return CpClass::kDisallowed;
  }
  // IgnorableBlocks (§2.4).
  const UBlockCode block = ublock_getCode(ucp(c));
  if (block == UBLOCK_COMBINING_MARKS_FOR_SYMBOLS || block == UBLOCK_MUSICAL_SYMBOLS ||
      block == UBLOCK_ANCIENT_GREEK_MUSICAL_NOTATION) {
    return CpClass::kDisallowed;
  }
  if (is_old_hangul_jamo(c)) {
    return CpClass::kDisallowed;
  }
  return is_letter_digit(u_charType(ucp(c))) ? CpClass::kPvalid : CpClass::kDisallowed;
}

// ---------------------------------------------------------------------------------------------
// Contextual rules, RFC 5892 Appendix A. PRECIS applies them to the whole string, IDNA to a label.

bool is_virama(char32_t c) { return u_getCombiningClass(ucp(c)) == 9; }

int32_t joining_type(char32_t c) { return u_getIntPropertyValue(ucp(c), UCHAR_JOINING_TYPE); }

UScriptCode script_of(char32_t c) {
  UErrorCode err = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(ucp(c), &err);
  return U_FAILURE(err) ? USCRIPT_INVALID_CODE : script;
}

// A.1 ZERO WIDTH NON-JOINER: after a virama, or inside
// (Joining_Type:{L,D})(Joining_Type:T)*\u200C(Joining_Type:T)*(Joining_Type:{R,D}).
bool zwnj_ok(std::u32string_view s, std::size_t i) {
  if (i > 0 && is_virama(s[i - 1])) {
    return true;
  }
  bool left = false;
  for (std::size_t j = i; j > 0; --j) {
    const int32_t type = joining_type(s[j - 1]);
    if (type != U_JT_TRANSPARENT) {
      left = type == U_JT_LEFT_JOINING || type == U_JT_DUAL_JOINING;
      break;
    }
  }
  if (!left) {
    return false;
  }
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    const int32_t type = joining_type(s[j]);
    if (type != U_JT_TRANSPARENT) {
      return type == U_JT_RIGHT_JOINING || type == U_JT_DUAL_JOINING;
    }
  }
  return false;
}

bool context_ok(std::u32string_view s, std::size_t i) {
  const char32_t c = s[i];
  const bool has_before = i > 0;
  const bool has_after = i + 1 < s.size();
  switch (c) {
    case 0x200C:
      return zwnj_ok(s, i);
    case 0x200D:  // A.2 ZERO WIDTH JOINER: only after a virama
      return has_before && is_virama(s[i - 1]);
    case 0x00B7:  // A.3 MIDDLE DOT: only between two 'l' (Catalan l·l)
      return has_before && has_after && s[i - 1] == 'l' && s[i + 1] == 'l';
    case 0x0375:  // A.4 KERAIA: followed by Greek
      return has_after && script_of(s[i + 1]) == USCRIPT_GREEK;
    case 0x05F3:  // A.5, A.6 GERESH, GERSHAYIM: preceded by Hebrew
    case 0x05F4:
      return has_before && script_of(s[i - 1]) == USCRIPT_HEBREW;
    case 0x30FB:  // A.7 KATAKANA MIDDLE DOT: with some Hiragana, Katakana or Han
      for (char32_t other : s) {
        const UScriptCode script = script_of(other);
        if (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA || script == USCRIPT_HAN) {
          return true;
        }
      }
      return false;
    default:
      break;
  }
  // A.8, A.9: the two sets of Arabic-Indic digits must not be mixed.
  if (c >= 0x0660 && c <= 0x0669) {
    for (char32_t other : s) {
      if (other >= 0x06F0 && other <= 0x06F9) {
        return false;
      }
    }
    return true;
  }
  if (c >= 0x06F0 && c <= 0x06F9) {
    for (char32_t other : s) {
      if (other >= 0x0660 && other <= 0x0669) {
        return false;
      }
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Bidi rule, RFC 5893 §2, applied by UsernameCaseMapped to strings with right-to-left code points
// (RFC 8265 §3.3.1; an "RTL label" in RFC 5893 §1.4 is one with an R, AL or AN code point).

bool has_rtl(std::u32string_view s) {
  for (char32_t c : s) {
    const UCharDirection d = u_charDirection(ucp(c));
    if (d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC || d == U_ARABIC_NUMBER) {
      return true;
    }
  }
  return false;
}

bool bidi_rule_ok(std::u32string_view s) {
  if (s.empty()) {
    return true;
  }
  // Rule 1: the first code point has direction L, R or AL.
  const UCharDirection first = u_charDirection(ucp(s.front()));
  bool rtl = false;
  if (first == U_RIGHT_TO_LEFT || first == U_RIGHT_TO_LEFT_ARABIC) {
    rtl = true;
  } else if (first != U_LEFT_TO_RIGHT) {
    return false;
  }
  bool has_en = false;
  bool has_an = false;
  for (char32_t c : s) {
    const UCharDirection d = u_charDirection(ucp(c));
    switch (d) {
      case U_EUROPEAN_NUMBER:
        has_en = true;
        break;
      case U_ARABIC_NUMBER:
        has_an = true;
        if (!rtl) {
          return false;  // rule 5
        }
        break;
      case U_RIGHT_TO_LEFT:
      case U_RIGHT_TO_LEFT_ARABIC:
        if (!rtl) {
          return false;  // rule 5
        }
        break;
      case U_LEFT_TO_RIGHT:
        if (rtl) {
          return false;  // rule 2
        }
        break;
      case U_EUROPEAN_NUMBER_SEPARATOR:
      case U_COMMON_NUMBER_SEPARATOR:
      case U_EUROPEAN_NUMBER_TERMINATOR:
      case U_OTHER_NEUTRAL:
      case U_BOUNDARY_NEUTRAL:
      case U_DIR_NON_SPACING_MARK:
        break;  // allowed in both directions (rules 2 and 5)
      default:
        return false;  // WS, B, S, LRE, RLE, LRO, RLO, PDF, LRI, RLI, FSI, PDI
    }
  }
  // Rules 3 and 6: the last code point that is not NSM.
  std::size_t end = s.size();
  while (end > 0 && u_charDirection(ucp(s[end - 1])) == U_DIR_NON_SPACING_MARK) {
    --end;
  }
  const UCharDirection last = u_charDirection(ucp(s[end - 1]));  // end > 0: s[0] is L, R or AL
  if (rtl) {
    const bool last_ok = last == U_RIGHT_TO_LEFT || last == U_RIGHT_TO_LEFT_ARABIC ||
                         last == U_EUROPEAN_NUMBER || last == U_ARABIC_NUMBER;
    return last_ok && !(has_en && has_an);  // rule 4
  }
  return last == U_LEFT_TO_RIGHT || last == U_EUROPEAN_NUMBER;
}

// ---------------------------------------------------------------------------------------------
// Mapping. RFC 8264 §7: the mapping rules are applied again until the string is stable, and a
// string that is not stable after three more applications is refused.

using MapFn = void (*)(std::u32string_view in, std::u32string& out);

bool map_until_stable(std::u32string& s, MapFn map) {
  std::u32string next;
  for (int round = 0; round < 4; ++round) {
    map(s, next);
    if (next == s) {
      return true;
    }
    s.swap(next);
  }
  return false;
}

// UsernameCaseMapped, RFC 8265 §3.3.2 steps 1-4: width mapping (fullwidth and halfwidth code points
// to their decomposition, UAX #11), no additional mapping, Unicode toLowerCase (not case folding,
// which RFC 7613 used: 'ß' stays 'ß'), NFC.
void map_username(std::u32string_view in, std::u32string& out) {
  icu::UnicodeString s;
  for (char32_t c : in) {
    if (c >= 0x80) {
      const int32_t type = u_getIntPropertyValue(ucp(c), UCHAR_DECOMPOSITION_TYPE);
      icu::UnicodeString decomposition;
      if ((type == U_DT_WIDE || type == U_DT_NARROW) &&
          nfkc().getRawDecomposition(ucp(c), decomposition)) {
        s.append(decomposition);
        continue;
      }
    }
    s.append(ucp(c));
  }
  // The root locale: no Turkish or Lithuanian special cases, but final sigma is context-aware.
  s.toLower(icu::Locale::getRoot());
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString normalized = nfc().normalize(s, err);
  if (U_FAILURE(err)) {
    std::abort();  // only on allocation failure
  }
  from_icu(normalized, out);
}

// OpaqueString, RFC 8265 §4.2.2: non-ASCII spaces (Zs) to U+0020, then NFC; no width or case
// mapping and no directionality rule.
void map_opaque(std::u32string_view in, std::u32string& out) {
  std::u32string spaced(in);
  for (char32_t& c : spaced) {
    if (c >= 0x80 && u_charType(ucp(c)) == U_SPACE_SEPARATOR) {
      c = U' ';
    }
  }
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString normalized = nfc().normalize(to_icu(spaced), err);
  if (U_FAILURE(err)) {
    std::abort();
  }
  from_icu(normalized, out);
}

// True if every code point of `s` is valid in the class, with the contextual rules where needed.
template <class Classify>
bool all_valid(std::u32string_view s, Classify classify, bool allow_free_pval) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    switch (classify(s[i])) {
      case CpClass::kPvalid:
        break;
      case CpClass::kFreePval:
        if (!allow_free_pval) {
          return false;
        }
        break;
      case CpClass::kContextJ:
      case CpClass::kContextO:
        if (!context_ok(s, i)) {
          return false;
        }
        break;
      case CpClass::kDisallowed:
        return false;
    }
  }
  return true;
}

PrepStatus append_checked(std::u32string_view cps, std::string& out) {
  if (cps.empty()) {
    return PrepStatus::kEmpty;
  }
  if (utf8_length(cps) > kMaxPartBytes) {
    return PrepStatus::kTooLong;
  }
  append_utf8(cps, out);
  return PrepStatus::kOk;
}

// ---------------------------------------------------------------------------------------------
// Localpart, RFC 7622 §3.3

// RFC 7622 §3.3.1: IdentifierClass allows these, the localpart does not.
bool is_rfc7622_excluded(char32_t c) {
  return c == U'"' || c == U'&' || c == U'\'' || c == U'/' || c == U':' || c == U'<' || c == U'>' ||
         c == U'@';
}

PrepStatus localpart_unicode(std::string_view in, std::string& out) {
  std::u32string cps;
  if (!decode_utf8(in, cps) || !map_until_stable(cps, &map_username)) {
    return PrepStatus::kInvalid;
  }
  for (char32_t c : cps) {
    if (is_rfc7622_excluded(c)) {
      return PrepStatus::kInvalid;
    }
  }
  if (!all_valid(cps, &precis_class, /*allow_free_pval=*/false)) {
    return PrepStatus::kInvalid;
  }
  if (has_rtl(cps) && !bidi_rule_ok(cps)) {
    return PrepStatus::kInvalid;
  }
  return append_checked(cps, out);
}

PrepStatus localpart_impl(std::string_view in, std::string& out, Path path) {
  if (in.empty()) {
    return PrepStatus::kEmpty;
  }
  if (in.size() > kMaxPartInputBytes) {
    return PrepStatus::kTooLong;
  }
  if (path == Path::kAuto && is_ascii(in)) {
    for (char c : in) {
      if (!has_flag(c, kLocalOk)) {
        return PrepStatus::kInvalid;
      }
    }
    if (in.size() > kMaxPartBytes) {
      return PrepStatus::kTooLong;
    }
    append_lowercase(in, out);  // width mapping and NFC change nothing in ASCII
    return PrepStatus::kOk;
  }
  return localpart_unicode(in, out);
}

// ---------------------------------------------------------------------------------------------
// Resourcepart, RFC 7622 §3.4

PrepStatus resource_unicode(std::string_view in, std::string& out) {
  std::u32string cps;
  if (!decode_utf8(in, cps) || !map_until_stable(cps, &map_opaque)) {
    return PrepStatus::kInvalid;
  }
  if (!all_valid(cps, &precis_class, /*allow_free_pval=*/true)) {
    return PrepStatus::kInvalid;
  }
  return append_checked(cps, out);
}

PrepStatus resource_impl(std::string_view in, std::string& out, Path path) {
  if (in.empty()) {
    return PrepStatus::kEmpty;
  }
  if (in.size() > kMaxPartInputBytes) {
    return PrepStatus::kTooLong;
  }
  if (path == Path::kAuto && is_ascii(in)) {
    for (char c : in) {
      if (!has_flag(c, kResourceOk)) {
        return PrepStatus::kInvalid;
      }
    }
    if (in.size() > kMaxPartBytes) {
      return PrepStatus::kTooLong;
    }
    out.append(in);  // OpaqueString changes nothing in printable ASCII
    return PrepStatus::kOk;
  }
  return resource_unicode(in, out);
}

// ---------------------------------------------------------------------------------------------
// Domainpart, RFC 7622 §3.2

// RFC 5952 §4: lowercase hex without leading zeros, the longest run (the first of equals) of two
// or more zero groups as "::", and §5: IPv4-mapped addresses end in dotted decimal.
void append_ipv6(const unsigned char (&bytes)[16], std::string& out) {
  std::array<uint16_t, 8> groups{};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    groups[i] = static_cast<uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  }
  const bool v4_mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 &&
                         groups[4] == 0 && groups[5] == 0xFFFF;
  const int hex_groups = v4_mapped ? 6 : 8;
  int best = -1;
  int best_len = 0;
  for (int i = 0; i < hex_groups;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < hex_groups && groups[j] == 0) {
      ++j;
    }
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) {
    best = -1;
    best_len = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < hex_groups; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) {
        out.append("::");
      }
      continue;
    }
    if (i > 0 && i != best + best_len) {
      out.push_back(':');
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (groups[i] >> shift) & 0xF;
      if (nibble != 0 || started || shift == 0) {
        out.push_back(kHex[nibble]);
        started = true;
      }
    }
  }
  if (v4_mapped) {
    if (best + best_len != hex_groups) {
      out.push_back(':');
    }
    for (int i = 12; i < 16; ++i) {
      if (i > 12) {
        out.push_back('.');
      }
      out.append(std::to_string(bytes[i]));
    }
  }
}

// RFC 7622 §3.2 allows an IP-literal of RFC 3986 §3.2.2; only IPv6 is accepted (IPvFuture has no
// defined addresses). The text is canonicalized so that one address has one JID.
PrepStatus ip_literal(std::string_view in, std::string& out) {
  constexpr std::size_t kMaxIpv6Text = 45;  // INET6_ADDRSTRLEN - 1
  if (in.size() < 3 || in.back() != ']') {
    return PrepStatus::kInvalid;
  }
  const std::string_view text = in.substr(1, in.size() - 2);
  if (text.size() > kMaxIpv6Text || text.find('\0') != std::string_view::npos) {
    return PrepStatus::kInvalid;
  }
  char buffer[kMaxIpv6Text + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, buffer, bytes) != 1) {
    return PrepStatus::kInvalid;
  }
  out.push_back('[');
  append_ipv6(bytes, out);
  out.push_back(']');
  return PrepStatus::kOk;
}

// NR-LDH labels, lowercased. Returns nullopt when a label is an A-label ("xn--"), which ICU must
// decode and check; IPv4 literals are all-digit labels and pass here unchanged.
std::optional<PrepStatus> domain_ascii(std::string_view in, std::string& out) {
  constexpr std::size_t kMaxLabelBytes = 63;  // RFC 1034 §3.1, RFC 5890 §2.3.2.1
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = in.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? in.size() : dot;
    const std::string_view label = in.substr(start, end - start);
    if (label.empty() || label.size() > kMaxLabelBytes) {
      return PrepStatus::kInvalid;
    }
    for (char c : label) {
      if (!has_flag(c, kLdh)) {
        return PrepStatus::kInvalid;
      }
    }
    // RFC 5891 §4.2.3.1: no hyphen at either end, and "--" in the third and fourth positions
    // only in an A-label.
    if (label.front() == '-' || label.back() == '-') {
      return PrepStatus::kInvalid;
    }
    if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
      if (to_lower_ascii(label[0]) == 'x' && to_lower_ascii(label[1]) == 'n') {
        return std::nullopt;
      }
      return PrepStatus::kInvalid;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (in.size() > kMaxPartBytes) {
    return PrepStatus::kTooLong;
  }
  append_lowercase(in, out);
  return PrepStatus::kOk;
}

// The whole domain is mapped and checked by ICU (toASCII reports labels over 63 octets as
// A-labels), converted back to U-labels, and each U-label is checked against IDNA2008.
PrepStatus domain_unicode(std::string_view in, std::string& out) {
  std::u32string cps;
  if (!decode_utf8(in, cps)) {
    return PrepStatus::kInvalid;
  }
  // RFC 7622 limits the domainpart to 1023 octets, not DNS's 253, so that error is not ours.
  constexpr uint32_t kIgnoredErrors = UIDNA_ERROR_DOMAIN_NAME_TOO_LONG;
  const icu::IDNA& idna = uts46();
  std::string ascii;
  {
    icu::StringByteSink<std::string> sink(&ascii);
    icu::IDNAInfo info;
    UErrorCode err = U_ZERO_ERROR;
    idna.nameToASCII_UTF8(icu::StringPiece(in.data(), static_cast<int32_t>(in.size())), sink,
                          info, err);
    if (U_FAILURE(err) || (info.getErrors() & ~kIgnoredErrors) != 0) {
      return PrepStatus::kInvalid;
    }
  }
  std::string unicode;
  {
    icu::StringByteSink<std::string> sink(&unicode);
    icu::IDNAInfo info;
    UErrorCode err = U_ZERO_ERROR;
    idna.nameToUnicodeUTF8(icu::StringPiece(ascii.data(), static_cast<int32_t>(ascii.size())),
                           sink, info, err);
    if (U_FAILURE(err) || (info.getErrors() & ~kIgnoredErrors) != 0) {
      return PrepStatus::kInvalid;
    }
  }
  // ICU accepts a final empty (root) label. Only one trailing '.' is removed (RFC 7622 §3.2) and
  // that was done before, so another one, or a U+3002 that UTS #46 mapped to '.', is refused: the
  // ASCII path refuses "example.com.." too, and the output must not change when prepared again.
  if (unicode.empty() || unicode.back() == '.' || !decode_utf8(unicode, cps)) {
    return PrepStatus::kInvalid;
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= cps.size(); ++i) {
    if (i == cps.size() || cps[i] == U'.') {
      const std::u32string_view label(cps.data() + label_start, i - label_start);
      if (label.empty() || !all_valid(label, &idna2008_class, /*allow_free_pval=*/false)) {
        return PrepStatus::kInvalid;
      }
      label_start = i + 1;
    }
  }
  if (unicode.size() > kMaxPartBytes) {
    return PrepStatus::kTooLong;
  }
  out.append(unicode);
  return PrepStatus::kOk;
}

PrepStatus domain_impl(std::string_view in, std::string& out, Path path) {
  if (in.size() > kMaxPartInputBytes) {
    return PrepStatus::kTooLong;
  }
  // RFC 7622 §3.2: a final label separator is removed before the domainpart is used or compared.
  if (!in.empty() && in.back() == '.') {
    in.remove_suffix(1);
  }
  if (in.empty()) {
    return PrepStatus::kEmpty;
  }
  if (in.front() == '[') {
    return ip_literal(in, out);
  }
  if (path == Path::kAuto && is_ascii(in)) {
    if (const std::optional<PrepStatus> status = domain_ascii(in, out)) {
      return *status;
    }
  }
  return domain_unicode(in, out);
}

}  // namespace

PrepStatus prepare_localpart(std::string_view in, std::string& out) {
  return localpart_impl(in, out, Path::kAuto);
}

PrepStatus prepare_domain(std::string_view in, std::string& out) {
  return domain_impl(in, out, Path::kAuto);
}

PrepStatus prepare_resource(std::string_view in, std::string& out) {
  return resource_impl(in, out, Path::kAuto);
}

namespace detail {

PrepStatus prepare_localpart_unicode(std::string_view in, std::string& out) {
  return localpart_impl(in, out, Path::kUnicodeOnly);
}

PrepStatus prepare_domain_unicode(std::string_view in, std::string& out) {
  return domain_impl(in, out, Path::kUnicodeOnly);
}

PrepStatus prepare_resource_unicode(std::string_view in, std::string& out) {
  return resource_impl(in, out, Path::kUnicodeOnly);
}

}  // namespace detail

}  // namespace tern::xmpp::precis
