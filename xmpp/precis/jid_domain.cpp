// SPDX-License-Identifier: MIT
// Preparation of the domainpart of a JID (RFC 7622 §3.2). One trailing '.' is removed; an
// IP-literal must be IPv6 and is rewritten in RFC 5952 canonical text; a name whose labels are all
// NR-LDH takes a byte-table fast path that only lowercases it; anything else (non-ASCII, or an
// A-label) is mapped and checked by ICU's UTS #46 implementation, converted to U-labels, and each
// U-label is checked once more against the IDNA2008 derived property (RFC 5892), which is stricter
// than UTS #46. Declared in precis_internal.h; precis::prepare_domain is the public entry point.
#include <arpa/inet.h>
#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/stringpiece.h>
#include <unicode/uidna.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "xmpp/precis/precis_classes.h"
#include "xmpp/precis/precis_internal.h"

namespace tern::xmpp::precis::internal {
namespace {

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
    return PrepStatus::Invalid;
  }
  const std::string_view text = in.substr(1, in.size() - 2);
  if (text.size() > kMaxIpv6Text || text.find('\0') != std::string_view::npos) {
    return PrepStatus::Invalid;
  }
  char buffer[kMaxIpv6Text + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, buffer, bytes) != 1) {
    return PrepStatus::Invalid;
  }
  out.push_back('[');
  append_ipv6(bytes, out);
  out.push_back(']');
  return PrepStatus::Ok;
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
      return PrepStatus::Invalid;
    }
    for (char c : label) {
      if (!has_flag(c, Ldh)) {
        return PrepStatus::Invalid;
      }
    }
    // RFC 5891 §4.2.3.1: no hyphen at either end, and "--" in the third and fourth positions
    // only in an A-label.
    if (label.front() == '-' || label.back() == '-') {
      return PrepStatus::Invalid;
    }
    if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
      if (to_lower_ascii(label[0]) == 'x' && to_lower_ascii(label[1]) == 'n') {
        return std::nullopt;
      }
      return PrepStatus::Invalid;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (in.size() > kMaxPartBytes) {
    return PrepStatus::TooLong;
  }
  append_lowercase(in, out);
  return PrepStatus::Ok;
}

// The whole domain is mapped and checked by ICU (toASCII reports labels over 63 octets as
// A-labels), converted back to U-labels, and each U-label is checked against IDNA2008.
PrepStatus domain_unicode(std::string_view in, std::string& out) {
  std::u32string cps;
  if (!decode_utf8(in, cps)) {
    return PrepStatus::Invalid;
  }
  // RFC 7622 limits the domainpart to 1023 octets, not DNS's 253, so that error is not ours.
  constexpr uint32_t kIgnoredErrors = UIDNA_ERROR_DOMAIN_NAME_TOO_LONG;
  const icu::IDNA& idna = uts46();
  std::string ascii;
  {
    icu::StringByteSink<std::string> sink(&ascii);
    icu::IDNAInfo info;
    UErrorCode err = U_ZERO_ERROR;
    idna.nameToASCII_UTF8(icu::StringPiece(in.data(), static_cast<int32_t>(in.size())), sink, info,
                          err);
    if (U_FAILURE(err) || (info.getErrors() & ~kIgnoredErrors) != 0) {
      return PrepStatus::Invalid;
    }
  }
  std::string unicode;
  {
    icu::StringByteSink<std::string> sink(&unicode);
    icu::IDNAInfo info;
    UErrorCode err = U_ZERO_ERROR;
    idna.nameToUnicodeUTF8(icu::StringPiece(ascii.data(), static_cast<int32_t>(ascii.size())), sink,
                           info, err);
    if (U_FAILURE(err) || (info.getErrors() & ~kIgnoredErrors) != 0) {
      return PrepStatus::Invalid;
    }
  }
  // ICU accepts a final empty (root) label. Only one trailing '.' is removed (RFC 7622 §3.2) and
  // that was done before, so another one, or a U+3002 that UTS #46 mapped to '.', is refused: the
  // ASCII path refuses "example.com.." too, and the output must not change when prepared again.
  if (unicode.empty() || unicode.back() == '.' || !decode_utf8(unicode, cps)) {
    return PrepStatus::Invalid;
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= cps.size(); ++i) {
    if (i == cps.size() || cps[i] == U'.') {
      const std::u32string_view label(cps.data() + label_start, i - label_start);
      if (label.empty() || !all_valid(label, &idna2008_class, /*allow_free_pval=*/false)) {
        return PrepStatus::Invalid;
      }
      label_start = i + 1;
    }
  }
  if (unicode.size() > kMaxPartBytes) {
    return PrepStatus::TooLong;
  }
  out.append(unicode);
  return PrepStatus::Ok;
}

}  // namespace

PrepStatus prepare_domain_part(std::string_view in, std::string& out, Path path) {
  if (in.size() > kMaxPartInputBytes) {
    return PrepStatus::TooLong;
  }
  // RFC 7622 §3.2: a final label separator is removed before the domainpart is used or compared.
  if (!in.empty() && in.back() == '.') {
    in.remove_suffix(1);
  }
  if (in.empty()) {
    return PrepStatus::Empty;
  }
  if (in.front() == '[') {
    return ip_literal(in, out);
  }
  if (path == Path::Auto && is_ascii(in)) {
    if (const std::optional<PrepStatus> status = domain_ascii(in, out)) {
      return *status;
    }
  }
  return domain_unicode(in, out);
}

}  // namespace tern::xmpp::precis::internal
