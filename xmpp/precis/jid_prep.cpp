// SPDX-License-Identifier: MIT
// PRECIS preparation of JID parts (RFC 7622 §3): the entry points declared in jid_prep.h and the
// localpart and resourcepart pipelines. Pure-ASCII parts are checked (and the localpart lowercased)
// with a byte table and never reach ICU. Everything else is decoded strictly, mapped with ICU as
// its profile says (UsernameCaseMapped: width mapping, toLowerCase, NFC; OpaqueString: spaces,
// NFC) until stable, and checked against its PRECIS string class with the contextual rules
// (precis_classes.cpp) and, for the localpart, the bidi rule of RFC 5893. The domainpart pipeline
// is in jid_domain.cpp.
#include "xmpp/precis/jid_prep.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cstdlib>

#include "xmpp/precis/precis_classes.h"
#include "xmpp/precis/precis_internal.h"

namespace tern::xmpp::precis {
namespace {

using internal::all_valid;
using internal::append_lowercase;
using internal::append_utf8;
using internal::bidi_rule_ok;
using internal::decode_utf8;
using internal::from_icu;
using internal::has_flag;
using internal::has_rtl;
using internal::is_ascii;
using internal::LocalOk;
using internal::nfc;
using internal::nfkc;
using internal::Path;
using internal::precis_class;
using internal::ResourceOk;
using internal::to_icu;
using internal::ucp;
using internal::utf8_length;

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

PrepStatus append_checked(std::u32string_view cps, std::string& out) {
  if (cps.empty()) {
    return PrepStatus::Empty;
  }
  if (utf8_length(cps) > kMaxPartBytes) {
    return PrepStatus::TooLong;
  }
  append_utf8(cps, out);
  return PrepStatus::Ok;
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
    return PrepStatus::Invalid;
  }
  for (char32_t c : cps) {
    if (is_rfc7622_excluded(c)) {
      return PrepStatus::Invalid;
    }
  }
  if (!all_valid(cps, &precis_class, /*allow_free_pval=*/false)) {
    return PrepStatus::Invalid;
  }
  if (has_rtl(cps) && !bidi_rule_ok(cps)) {
    return PrepStatus::Invalid;
  }
  return append_checked(cps, out);
}

// The shape both localpart and resourcepart preparation share: bounds, then the ASCII fast path
// (a byte table check and a cheap mapping), else the full Unicode profile.
PrepStatus prepare_part(std::string_view in, std::string& out, Path path,
                        internal::AsciiFlag allowed,
                        void (*append_ascii)(std::string_view, std::string&),
                        PrepStatus (*unicode)(std::string_view, std::string&)) {
  if (in.empty()) {
    return PrepStatus::Empty;
  }
  if (in.size() > kMaxPartInputBytes) {
    return PrepStatus::TooLong;
  }
  if (path == Path::Auto && is_ascii(in)) {
    for (char c : in) {
      if (!has_flag(c, allowed)) {
        return PrepStatus::Invalid;
      }
    }
    if (in.size() > kMaxPartBytes) {
      return PrepStatus::TooLong;
    }
    append_ascii(in, out);
    return PrepStatus::Ok;
  }
  return unicode(in, out);
}

PrepStatus localpart_impl(std::string_view in, std::string& out, Path path) {
  // Width mapping and NFC change nothing in ASCII; case mapping is lowercasing.
  return prepare_part(in, out, path, LocalOk, &append_lowercase, &localpart_unicode);
}

// ---------------------------------------------------------------------------------------------
// Resourcepart, RFC 7622 §3.4

PrepStatus resource_unicode(std::string_view in, std::string& out) {
  std::u32string cps;
  if (!decode_utf8(in, cps) || !map_until_stable(cps, &map_opaque)) {
    return PrepStatus::Invalid;
  }
  if (!all_valid(cps, &precis_class, /*allow_free_pval=*/true)) {
    return PrepStatus::Invalid;
  }
  return append_checked(cps, out);
}

PrepStatus resource_impl(std::string_view in, std::string& out, Path path) {
  // OpaqueString changes nothing in printable ASCII.
  return prepare_part(
      in, out, path, ResourceOk, [](std::string_view a, std::string& o) { o.append(a); },
      &resource_unicode);
}

}  // namespace

PrepStatus prepare_localpart(std::string_view in, std::string& out) {
  return localpart_impl(in, out, Path::Auto);
}

PrepStatus prepare_domain(std::string_view in, std::string& out) {
  return internal::prepare_domain_part(in, out, Path::Auto);
}

PrepStatus prepare_resource(std::string_view in, std::string& out) {
  return resource_impl(in, out, Path::Auto);
}

namespace detail {

PrepStatus prepare_localpart_unicode(std::string_view in, std::string& out) {
  return localpart_impl(in, out, Path::UnicodeOnly);
}

PrepStatus prepare_domain_unicode(std::string_view in, std::string& out) {
  return internal::prepare_domain_part(in, out, Path::UnicodeOnly);
}

PrepStatus prepare_resource_unicode(std::string_view in, std::string& out) {
  return resource_impl(in, out, Path::UnicodeOnly);
}

}  // namespace detail

}  // namespace tern::xmpp::precis
