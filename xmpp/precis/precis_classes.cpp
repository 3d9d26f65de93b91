// SPDX-License-Identifier: MIT
// Code point validity for JID preparation. The PRECIS derived property (RFC 8264 §8, with the
// categories of §9) and the IDNA2008 derived property (RFC 5892 §3) are computed from ICU's
// character properties instead of shipped tables, which keeps them in step with the Unicode
// version of the ICU we link, as the PRECIS framework intends (RFC 8264 §1). CONTEXTJ and CONTEXTO
// code points are checked against the contextual rules of RFC 5892 Appendix A, and the bidi rule
// of RFC 5893 §2 is here too. Declared in precis_classes.h.
#include "xmpp/precis/precis_classes.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>

#include <cstddef>
#include <optional>

#include "xmpp/precis/precis_internal.h"

namespace tern::xmpp::precis::internal {

// ---------------------------------------------------------------------------------------------
// Code point classes

namespace {

// RFC 5892 §2.6, used unchanged by PRECIS (the Exceptions category of RFC 8264 §9).
std::optional<CpClass> exception_class(char32_t c) {
  switch (c) {
    case 0x00DF:  // LATIN SMALL LETTER SHARP S
    case 0x03C2:  // GREEK SMALL LETTER FINAL SIGMA
    case 0x06FD:  // ARABIC SIGN SINDHI AMPERSAND
    case 0x06FE:  // ARABIC SIGN SINDHI POSTPOSITION MEN
    case 0x0F0B:  // TIBETAN MARK INTERSYLLABIC TSHEG
    case 0x3007:  // IDEOGRAPHIC NUMBER ZERO
      return CpClass::Pvalid;
    case 0x00B7:  // MIDDLE DOT
    case 0x0375:  // GREEK LOWER NUMERAL SIGN (KERAIA)
    case 0x05F3:  // HEBREW PUNCTUATION GERESH
    case 0x05F4:  // HEBREW PUNCTUATION GERSHAYIM
    case 0x30FB:  // KATAKANA MIDDLE DOT
      return CpClass::ContextO;
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
      return CpClass::Disallowed;
    default:
      break;
  }
  if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9)) {
    return CpClass::ContextO;  // ARABIC-INDIC and EXTENDED ARABIC-INDIC DIGITS
  }
  return std::nullopt;
}

// Unassigned (RFC 8264 §9, RFC 5892 §2.10): General_Category Cn, except noncharacters.
bool is_unassigned(char32_t c) {
  return u_charType(ucp(c)) == U_UNASSIGNED &&
         !u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT);
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

// RFC 5892 §2.2 Unstable: toNFKC(toCaseFold(toNFKC(cp))) != cp.
bool is_unstable(char32_t c) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString original(ucp(c));
  icu::UnicodeString s = nfkc().normalize(original, err);
  s.foldCase(U_FOLD_CASE_DEFAULT);
  s = nfkc().normalize(s, err);
  return U_FAILURE(err) || s != original;
}

}  // namespace

// The PRECIS derived property (RFC 8264 §8, categories in §9), tested in the order given there.
CpClass precis_class(char32_t c) {
  if (const std::optional<CpClass> exception = exception_class(c)) {
    return *exception;
  }
  // BackwardCompatible is empty.
  if (is_unassigned(c)) {
    return CpClass::Disallowed;
  }
  if (c >= 0x21 && c <= 0x7E) {  // ASCII7
    return CpClass::Pvalid;
  }
  if (u_hasBinaryProperty(ucp(c), UCHAR_JOIN_CONTROL)) {
    return CpClass::ContextJ;
  }
  if (is_old_hangul_jamo(c)) {
    return CpClass::Disallowed;
  }
  // PrecisIgnorableProperties: Default_Ignorable_Code_Point or Noncharacter_Code_Point.
  if (u_hasBinaryProperty(ucp(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT)) {
    return CpClass::Disallowed;
  }
  const int8_t gc = u_charType(ucp(c));
  if (gc == U_CONTROL_CHAR) {
    return CpClass::Disallowed;
  }
  if (has_compat(c)) {
    return CpClass::FreePval;
  }
  if (is_letter_digit(gc)) {
    return CpClass::Pvalid;
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
      return CpClass::FreePval;
    default:
      return CpClass::Disallowed;  // Cf, Co, Cs, Zl, Zp
  }
}

// The IDNA2008 derived property, RFC 5892 §3. UTS #46 admits some code points IDNA2008 does not
// (symbols, for one); RFC 7622 §3.2 asks for IDNA2008, so every U-label is checked with this too.
CpClass idna2008_class(char32_t c) {
  if (const std::optional<CpClass> exception = exception_class(c)) {
    return *exception;
  }
  if (is_unassigned(c)) {
    return CpClass::Disallowed;
  }
  if (c < 0x80) {  // LDH (§2.5) is lowercase only; all other ASCII ends up DISALLOWED
    return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') ? CpClass::Pvalid
                                                                          : CpClass::Disallowed;
  }
  if (u_hasBinaryProperty(ucp(c), UCHAR_JOIN_CONTROL)) {
    return CpClass::ContextJ;
  }
  if (is_unstable(c)) {
    return CpClass::Disallowed;
  }
  // IgnorableProperties (§2.3).
  if (u_hasBinaryProperty(ucp(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      u_hasBinaryProperty(ucp(c), UCHAR_WHITE_SPACE) ||
      u_hasBinaryProperty(ucp(c), UCHAR_NONCHARACTER_CODE_POINT)) {
    return CpClass::Disallowed;
  }
  // IgnorableBlocks (§2.4).
  const UBlockCode block = ublock_getCode(ucp(c));
  if (block == UBLOCK_COMBINING_MARKS_FOR_SYMBOLS || block == UBLOCK_MUSICAL_SYMBOLS ||
      block == UBLOCK_ANCIENT_GREEK_MUSICAL_NOTATION) {
    return CpClass::Disallowed;
  }
  if (is_old_hangul_jamo(c)) {
    return CpClass::Disallowed;
  }
  return is_letter_digit(u_charType(ucp(c))) ? CpClass::Pvalid : CpClass::Disallowed;
}

// ---------------------------------------------------------------------------------------------
// Contextual rules, RFC 5892 Appendix A. PRECIS applies them to the whole string, IDNA to a label.

namespace {

bool is_virama(char32_t c) {
  return u_getCombiningClass(ucp(c)) == 9;
}

int32_t joining_type(char32_t c) {
  return u_getIntPropertyValue(ucp(c), UCHAR_JOINING_TYPE);
}

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

}  // namespace

bool all_valid(std::u32string_view s, Classify classify, bool allow_free_pval) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    switch (classify(s[i])) {
      case CpClass::Pvalid:
        break;
      case CpClass::FreePval:
        if (!allow_free_pval) {
          return false;
        }
        break;
      case CpClass::ContextJ:
      case CpClass::ContextO:
        if (!context_ok(s, i)) {
          return false;
        }
        break;
      case CpClass::Disallowed:
        return false;
    }
  }
  return true;
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

}  // namespace tern::xmpp::precis::internal
