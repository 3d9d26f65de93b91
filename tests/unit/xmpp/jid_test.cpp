// SPDX-License-Identifier: MIT
// Tests for Jid and the PRECIS/IDNA preparation behind it: the examples of RFC 7622 §3.5, the
// splitting rules of §3.1, the profile rules of RFC 8265 (UsernameCaseMapped, OpaqueString) and
// the IDNA2008 domain rules, length limits, the Jid accessors, and agreement between the ASCII
// fast path and the ICU path.
#include "xmpp/jid.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "xmpp/precis/jid_prep.h"

namespace tern::xmpp {
namespace {

using precis::PrepStatus;

// Parses `text`, failing the test (and returning the empty Jid) if it does not parse.
Jid must_parse(std::string_view text) {
  Result<Jid, JidError> result = Jid::parse(text);
  if (!result.ok()) {
    ADD_FAILURE() << "\"" << text << "\" did not parse: " << result.error();
    return Jid();
  }
  return *result;
}

// The error parsing `text` gives, or nullopt if it parses.
std::optional<JidError> parse_error(std::string_view text) {
  Result<Jid, JidError> result = Jid::parse(text);
  if (result.ok()) {
    return std::nullopt;
  }
  return result.error();
}

std::optional<JidError> parts_error(std::string_view local, std::string_view domain,
                                    std::string_view resource) {
  Result<Jid, JidError> result = Jid::from_parts(local, domain, resource);
  if (result.ok()) {
    return std::nullopt;
  }
  return result.error();
}

// A domain name of exactly `length` octets made of labels of at most 63 octets.
std::string domain_of_length(std::size_t length) {
  std::string domain;
  std::size_t remaining = length;
  while (remaining > 63) {
    const std::size_t label = std::min<std::size_t>(63, remaining - 2);
    domain.append(label, 'd');
    domain.push_back('.');
    remaining -= label + 1;
  }
  domain.append(remaining, 'd');
  return domain;
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) {
    out.append(piece);
  }
  return out;
}

struct ValidCase {
  std::string_view input;
  std::string_view local;
  std::string_view domain;
  std::string_view resource;
};

// RFC 7622 §3.5.1.
TEST(JidRfc7622Examples, ValidExamplesParse) {
  const ValidCase cases[] = {
      {"juliet@example.com", "juliet", "example.com", ""},
      {"juliet@example.com/foo", "juliet", "example.com", "foo"},
      {"juliet@example.com/foo bar", "juliet", "example.com", "foo bar"},
      {"juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar"},
      {"foo\\20bar@example.com", "foo\\20bar", "example.com", ""},
      {"fussball@example.com", "fussball", "example.com", ""},
      {"fu\u00DFball@example.com", "fu\u00DFball", "example.com", ""},
      {"\u03C0@example.com", "\u03C0", "example.com", ""},
      {"\u03A3@example.com/foo", "\u03C3", "example.com", "foo"},
      {"\u03C3@example.com/foo", "\u03C3", "example.com", "foo"},
      {"\u03C2@example.com/foo", "\u03C2", "example.com", "foo"},
      {"king@example.com/\u265A", "king", "example.com", "\u265A"},
      {"example.com", "", "example.com", ""},
      {"example.com/foobar", "", "example.com", "foobar"},
      {"a.example.com/b@example.net", "", "a.example.com", "b@example.net"},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.input);
    const Jid jid = must_parse(c.input);
    EXPECT_EQ(jid.local(), c.local);
    EXPECT_EQ(jid.domain(), c.domain);
    EXPECT_EQ(jid.resource(), c.resource);
    EXPECT_EQ(jid.has_local(), !c.local.empty());
    EXPECT_EQ(jid.has_resource(), !c.resource.empty());
  }
}

// RFC 7622 §3.5.2.
TEST(JidRfc7622Examples, InvalidExamplesFail) {
  EXPECT_EQ(parse_error("\"juliet\"@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("foo bar@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("juliet@example.com/"), JidError::ResourceEmpty);
  EXPECT_EQ(parse_error("@example.com/"), JidError::LocalpartEmpty);
  EXPECT_EQ(parse_error("henry\u2163@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("\u265A@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("juliet@"), JidError::DomainEmpty);
  EXPECT_EQ(parse_error("/foobar"), JidError::DomainEmpty);
}

TEST(JidSplit, ResourceIsEverythingAfterFirstSlash) {
  const Jid jid = must_parse("a@b/c@d/e");
  EXPECT_EQ(jid.local(), "a");
  EXPECT_EQ(jid.domain(), "b");
  EXPECT_EQ(jid.resource(), "c@d/e");
}

TEST(JidSplit, AtAfterSlashBelongsToResource) {
  const Jid jid = must_parse("example.com/user@host");
  EXPECT_FALSE(jid.has_local());
  EXPECT_EQ(jid.domain(), "example.com");
  EXPECT_EQ(jid.resource(), "user@host");
}

TEST(JidSplit, SecondAtIsPartOfDomainAndInvalid) {
  EXPECT_EQ(parse_error("a@b@example.com"), JidError::DomainInvalid);
}

TEST(JidSplit, EmptyParts) {
  EXPECT_EQ(parse_error(""), JidError::Empty);
  EXPECT_EQ(parse_error("@"), JidError::LocalpartEmpty);
  EXPECT_EQ(parse_error("/"), JidError::DomainEmpty);
  EXPECT_EQ(parse_error("@/"), JidError::LocalpartEmpty);
  EXPECT_EQ(parse_error("a@/"), JidError::DomainEmpty);
  EXPECT_EQ(parse_error("a@/r"), JidError::DomainEmpty);
  EXPECT_EQ(parse_error("example.com/"), JidError::ResourceEmpty);
  EXPECT_EQ(parse_error("@example.com"), JidError::LocalpartEmpty);
  EXPECT_EQ(parts_error("", "", ""), JidError::DomainEmpty);
  EXPECT_EQ(parts_error("a", "", "r"), JidError::DomainEmpty);
}

TEST(JidSplit, ErrorsAreReportedInPartOrder) {
  EXPECT_EQ(parse_error("a b@exa mple.com/\x01"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("ab@exa mple.com/\x01"), JidError::DomainInvalid);
  EXPECT_EQ(parse_error("ab@example.com/\x01"), JidError::ResourceInvalid);
}

// ---------------------------------------------------------------------------------------------
// Localpart: UsernameCaseMapped (RFC 8265 §3.3) plus RFC 7622 §3.3.1.

TEST(JidLocalpart, AsciiIsLowercased) {
  const Jid jid = must_parse("JuLiEt@example.com/Balcony");
  EXPECT_EQ(jid.local(), "juliet");
  EXPECT_EQ(jid.resource(), "Balcony");  // OpaqueString keeps case
  EXPECT_EQ(must_parse("JULIET@example.com"), must_parse("juliet@example.com"));
}

TEST(JidLocalpart, UnicodeIsLowercased) {
  EXPECT_EQ(must_parse("\u00C4\u00D6\u00DC@example.com").local(), "\u00E4\u00F6\u00FC");
  EXPECT_EQ(must_parse("\u041F\u0420\u0418\u0412\u0415\u0422@example.com").local(),
            "\u043F\u0440\u0438\u0432\u0435\u0442");
  // Capital sharp s lowercases to sharp s, which toLowerCase (unlike case folding) keeps.
  EXPECT_EQ(must_parse("\u1E9E@example.com").local(), "\u00DF");
  // Final sigma is context-dependent in toLowerCase.
  EXPECT_EQ(must_parse("\u03A3\u0391\u03A3@example.com").local(), "\u03C3\u03B1\u03C2");
  // The root locale: dotted capital I is i plus combining dot above, no Turkish rules.
  EXPECT_EQ(must_parse("\u0130@example.com").local(), "i\u0307");
  EXPECT_EQ(must_parse("I@example.com").local(), "i");
  // KELVIN SIGN and OHM SIGN: lowercased and normalized to the plain letters.
  EXPECT_EQ(must_parse("\u212A@example.com").local(), "k");
  EXPECT_EQ(must_parse("\u2126@example.com").local(), "\u03C9");
}

TEST(JidLocalpart, NormalizedToNfc) {
  EXPECT_EQ(must_parse("e\u0301@example.com").local(), "\u00E9");
  EXPECT_EQ(must_parse("A\u030A@example.com").local(), "\u00E5");
  EXPECT_EQ(must_parse("\u1100\u1161@example.com").local(), "\uAC00");  // jamo compose
}

TEST(JidLocalpart, FullwidthIsMapped) {
  EXPECT_EQ(must_parse("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@example.com").local(), "juliet");
  // Halfwidth katakana and its voiced sound mark become one composed katakana.
  EXPECT_EQ(must_parse("\uFF76\uFF9E@example.com").local(), "\u30AC");
  // A fullwidth '@' maps to '@', which a localpart must not contain.
  EXPECT_EQ(parse_error("a\uFF20b@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("a\uFF0Fb@example.com"), JidError::LocalpartInvalid);
}

TEST(JidLocalpart, EachRfc7622ExcludedCharacterIsRefused) {
  for (char c : std::string_view("\"&'/:<>@")) {
    const std::string local = std::string("a") + c + "b";
    SCOPED_TRACE(local);
    EXPECT_EQ(parts_error(local, "example.com", ""), JidError::LocalpartInvalid);
    std::string out;
    EXPECT_EQ(precis::prepare_localpart(local, out), PrepStatus::Invalid);
    EXPECT_EQ(precis::detail::prepare_localpart_unicode(local, out), PrepStatus::Invalid);
    EXPECT_TRUE(out.empty());
  }
  for (std::string_view text : {"a\"b@example.com", "a&b@example.com", "a'b@example.com",
                                "a:b@example.com", "a<b@example.com", "a>b@example.com"}) {
    EXPECT_EQ(parse_error(text), JidError::LocalpartInvalid) << text;
  }
}

TEST(JidLocalpart, OtherPrintableAsciiIsAllowed) {
  const Jid jid = must_parse("!#$%()*+,-.;=?[\\]^_`{|}~09az@example.com");
  EXPECT_EQ(jid.local(), "!#$%()*+,-.;=?[\\]^_`{|}~09az");
}

TEST(JidLocalpart, SpacesAndControlsAreRefused) {
  for (std::string_view text : {"a b@example.com", "a\tb@example.com", "a\x01@example.com",
                                "a\x7F@example.com", "a\u0085@example.com", "a\u00A0b@example.com",
                                "a\u3000b@example.com", "a\u2028b@example.com"}) {
    EXPECT_EQ(parse_error(text), JidError::LocalpartInvalid) << text;
  }
  EXPECT_EQ(parts_error(std::string("a\0b", 3), "example.com", ""), JidError::LocalpartInvalid);
}

TEST(JidLocalpart, DisallowedClassesAreRefused) {
  const std::string_view cases[] = {
      "\u2163",      // HasCompat: ROMAN NUMERAL FOUR
      "\uFB01",      // HasCompat: LATIN SMALL LIGATURE FI
      "\u00BD",      // HasCompat: VULGAR FRACTION ONE HALF
      "\u265A",      // Symbols
      "\u00A7",      // Punctuation (SECTION SIGN)
      "\u01C5",      // Titlecase letter (lowercased to U+01C6, which is HasCompat)
      "\u0378",      // unassigned
      "\uFFFF",      // noncharacter
      "\U0010FFFE",  // noncharacter
      "\uE000",      // private use
      "a\u00AD",     // default ignorable: SOFT HYPHEN
      "a\u200B",     // default ignorable: ZERO WIDTH SPACE
      "a\uFE0F",     // default ignorable: VARIATION SELECTOR-16
      "\u1100",      // old hangul jamo left alone
      "a\u0640b",    // exception: ARABIC TATWEEL is DISALLOWED
      "\u3031",      // exception: VERTICAL KANA REPEAT MARK is DISALLOWED
      "\U0001D400",  // HasCompat: MATHEMATICAL BOLD CAPITAL A
      "a\u202Eb",    // bidi control (Cf)
  };
  for (std::string_view local : cases) {
    EXPECT_EQ(parts_error(local, "example.com", ""), JidError::LocalpartInvalid) << local;
  }
}

TEST(JidLocalpart, ExceptionsThatArePvalid) {
  EXPECT_EQ(must_parse("\u3007@example.com").local(), "\u3007");
  EXPECT_EQ(must_parse("\u00DF@example.com").local(), "\u00DF");
  EXPECT_EQ(must_parse("\u03C2@example.com").local(), "\u03C2");
}

TEST(JidLocalpart, ContextORules) {
  // RFC 5892 A.3 MIDDLE DOT: only between two 'l'. ("L" lowercases to 'l' first.)
  EXPECT_EQ(must_parse("col\u00B7lecci\u00F3@example.com").local(), "col\u00B7lecci\u00F3");
  EXPECT_EQ(must_parse("COL\u00B7LECCI\u00D3@example.com").local(), "col\u00B7lecci\u00F3");
  EXPECT_EQ(parse_error("a\u00B7b@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("\u00B7l@example.com"), JidError::LocalpartInvalid);
  // A.4 KERAIA: followed by Greek.
  EXPECT_TRUE(Jid::parse("\u0375\u03B1@example.com").ok());
  EXPECT_EQ(parse_error("\u0375a@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("\u03B1\u0375@example.com"), JidError::LocalpartInvalid);
  // A.5 GERESH: preceded by Hebrew.
  EXPECT_TRUE(Jid::parse("\u05D0\u05F3@example.com").ok());
  EXPECT_EQ(parse_error("a\u05F3@example.com"), JidError::LocalpartInvalid);
  // A.7 KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han.
  EXPECT_TRUE(Jid::parse("\u30A2\u30FB\u30A4@example.com").ok());
  EXPECT_EQ(parse_error("a\u30FBb@example.com"), JidError::LocalpartInvalid);
  // A.8, A.9: ARABIC-INDIC digits and EXTENDED ARABIC-INDIC digits must not mix.
  EXPECT_TRUE(Jid::parse("\u0628\u0661\u0662@example.com").ok());
  EXPECT_TRUE(Jid::parse("\u0628\u06F1\u06F2@example.com").ok());
  EXPECT_EQ(parse_error("\u0628\u0661\u06F2@example.com"), JidError::LocalpartInvalid);
}

TEST(JidLocalpart, ContextJRules) {
  // A.2 ZERO WIDTH JOINER after a virama (Devanagari KA, VIRAMA, ZWJ, SSA).
  EXPECT_TRUE(Jid::parse("\u0915\u094D\u200D\u0937@example.com").ok());
  EXPECT_EQ(parse_error("a\u200Db@example.com"), JidError::LocalpartInvalid);
  // A.1 ZERO WIDTH NON-JOINER after a virama, or between joining letters (Persian).
  EXPECT_TRUE(Jid::parse("\u0915\u094D\u200C\u0937@example.com").ok());
  EXPECT_TRUE(Jid::parse("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645@example.com").ok());
  EXPECT_EQ(parse_error("a\u200Cb@example.com"), JidError::LocalpartInvalid);
  EXPECT_EQ(parse_error("\u200C\u0628@example.com"), JidError::LocalpartInvalid);
}

TEST(JidLocalpart, BidiRule) {
  EXPECT_EQ(must_parse("\u05E9\u05DC\u05D5\u05DD@example.com").local(), "\u05E9\u05DC\u05D5\u05DD");
  EXPECT_TRUE(Jid::parse("\u05D0\u05D1"
                         "1@example.com")
                  .ok());                                                     // RTL may end in EN
  EXPECT_EQ(parse_error("a\u05D0@example.com"), JidError::LocalpartInvalid);  // L then R
  EXPECT_EQ(parse_error("\u05D0a@example.com"), JidError::LocalpartInvalid);  // R then L
  EXPECT_EQ(parse_error("1\u05D0@example.com"), JidError::LocalpartInvalid);  // starts EN
  EXPECT_EQ(parse_error("\u05D0\u05D1-@example.com"), JidError::LocalpartInvalid);  // ends ES
  // Rule 4: EN and AN together in an RTL string.
  EXPECT_EQ(parse_error("\u0628"
                        "1\u0661@example.com"),
            JidError::LocalpartInvalid);
  // Strings without RTL code points are not subject to the rule.
  EXPECT_TRUE(Jid::parse("1abc@example.com").ok());
}

// ---------------------------------------------------------------------------------------------
// Resourcepart: OpaqueString (RFC 8265 §4.2).

TEST(JidResource, CaseAndWidthArePreserved) {
  EXPECT_EQ(must_parse("a@example.com/Balcony").resource(), "Balcony");
  EXPECT_EQ(must_parse("a@example.com/\uFF26\uFF2F\uFF2F").resource(), "\uFF26\uFF2F\uFF2F");
  EXPECT_NE(must_parse("a@example.com/Foo"), must_parse("a@example.com/foo"));
}

TEST(JidResource, NonAsciiSpacesBecomeSpace) {
  EXPECT_EQ(must_parse("a@example.com/foo\u3000bar").resource(), "foo bar");
  EXPECT_EQ(must_parse("a@example.com/foo\u00A0bar").resource(), "foo bar");
  EXPECT_EQ(must_parse("a@example.com/foo\u2003bar").resource(), "foo bar");
  EXPECT_EQ(must_parse("a@example.com/ leading and trailing ").resource(),
            " leading and trailing ");
}

TEST(JidResource, NormalizedToNfc) {
  EXPECT_EQ(must_parse("a@example.com/A\u030A").resource(), "\u00C5");
  EXPECT_EQ(must_parse("a@example.com/\u212B").resource(), "\u00C5");  // ANGSTROM SIGN
}

TEST(JidResource, FreeformClassAllowsSymbolsPunctuationAndCompat) {
  for (std::string_view resource : {"\u265A", "henry\u2163", "\U0001F600", "\u00A7 \u00BD",
                                    "\uFB01", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "\u01C5"}) {
    const Result<Jid, JidError> jid = Jid::from_parts("a", "example.com", resource);
    ASSERT_TRUE(jid.ok()) << resource;
    EXPECT_EQ(jid->resource(), resource);
  }
}

TEST(JidResource, ControlsAndOtherDisallowedAreRefused) {
  for (std::string_view resource :
       {"a\x01", "a\tb", "a\nb", "a\x7F", "a\u0085", "a\u2028b", "a\u00AD", "\uFEFFa", "\u0378",
        "\uFFFE", "\uE000", "\u2764\uFE0F", "a\u200Db", "a\u0640"}) {
    EXPECT_EQ(parts_error("a", "example.com", resource), JidError::ResourceInvalid) << resource;
  }
  EXPECT_EQ(parts_error("a", "example.com", std::string("a\0b", 3)), JidError::ResourceInvalid);
  // Contextual rules apply to FreeformClass too.
  EXPECT_EQ(parts_error("a", "example.com", "a\u00B7b"), JidError::ResourceInvalid);
  EXPECT_TRUE(Jid::from_parts("a", "example.com", "l\u00B7l").ok());
}

TEST(JidResource, NoBidiRule) {
  EXPECT_TRUE(Jid::parse("a@example.com/abc \u05D0\u05D1\u05D2 123").ok());
}

// ---------------------------------------------------------------------------------------------
// Domainpart (RFC 7622 §3.2).

TEST(JidDomain, AsciiIsLowercased) {
  EXPECT_EQ(must_parse("Example.COM").domain(), "example.com");
  EXPECT_EQ(must_parse("LOCALHOST").domain(), "localhost");
  EXPECT_EQ(must_parse("s.Example.net").domain(), "s.example.net");
  EXPECT_EQ(must_parse("a-b.c0.example").domain(), "a-b.c0.example");
}

TEST(JidDomain, OneTrailingDotIsStripped) {
  EXPECT_EQ(must_parse("juliet@example.com./r").domain(), "example.com");
  EXPECT_EQ(must_parse("example.com.").full(), "example.com");
  EXPECT_EQ(must_parse("b\u00FCcher.example.").domain(), "b\u00FCcher.example");
  EXPECT_EQ(parse_error("example.com.."), JidError::DomainInvalid);
  EXPECT_EQ(parse_error("b\u00FCcher.example.."), JidError::DomainInvalid);
  EXPECT_EQ(parse_error("."), JidError::DomainEmpty);
  EXPECT_EQ(parse_error("juliet@./r"), JidError::DomainEmpty);
  // An ideographic full stop maps to '.', but only one ASCII trailing dot is removed.
  EXPECT_EQ(parse_error("example.com\u3002"), JidError::DomainInvalid);
}

TEST(JidDomain, LabelSyntax) {
  for (std::string_view domain : {".example.com",
                                  "a..b",
                                  "-a.example",
                                  "a-.example",
                                  "ab--c.example",
                                  "under_score.example",
                                  "sp ace.example",
                                  "a!b",
                                  "ex\x01mple.com",
                                  "ex\x7Fmple.com",
                                  "a:b",
                                  "a*b",
                                  "[::1",
                                  "[::1]x",
                                  "[]",
                                  "[1.2.3.4]",
                                  "[fe80::1%eth0]",
                                  "[::g]",
                                  "[:::]",
                                  "[1:2:3:4:5:6:7:8:9]"}) {
    EXPECT_EQ(parts_error("", domain, ""), JidError::DomainInvalid) << domain;
  }
  EXPECT_TRUE(Jid::parse("a--b.example").ok());  // hyphens elsewhere are fine
  EXPECT_TRUE(Jid::parse("123.example").ok());
}

TEST(JidDomain, LabelLengthLimit) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(Jid::parse(label63 + ".example").ok());
  EXPECT_EQ(parse_error(label63 + "a.example"), JidError::DomainInvalid);
  // The 63-octet limit is on the A-label: 60 x 'ü' is far too long once punycoded.
  EXPECT_EQ(parse_error(repeat("\u00FC", 60) + ".example"), JidError::DomainInvalid);
  EXPECT_TRUE(Jid::parse(repeat("\u00FC", 20) + ".example").ok());
}

TEST(JidDomain, InternationalizedNames) {
  EXPECT_EQ(must_parse("B\u00FCcher.example").domain(), "b\u00FCcher.example");
  EXPECT_EQ(must_parse("xn--bcher-kva.example").domain(), "b\u00FCcher.example");
  EXPECT_EQ(must_parse("XN--BCHER-KVA.EXAMPLE").domain(), "b\u00FCcher.example");
  EXPECT_EQ(must_parse("b\u00FCcher.example"), must_parse("xn--bcher-kva.example"));
  // Nontransitional processing keeps sharp s and final sigma.
  EXPECT_EQ(must_parse("fa\u00DF.de").domain(), "fa\u00DF.de");
  EXPECT_EQ(must_parse("\u03C2.example").domain(), "\u03C2.example");
  // Fullwidth letters and dots are mapped by UTS #46.
  EXPECT_EQ(
      must_parse("\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF43\uFF4F\uFF4D").domain(),
      "example.com");
  EXPECT_EQ(must_parse("example\u3002com").domain(), "example.com");
  EXPECT_EQ(must_parse("\u05D0\u05D1.example").domain(), "\u05D0\u05D1.example");
}

TEST(JidDomain, InvalidInternationalizedNames) {
  for (std::string_view domain : {
           "\u2603.example",    // symbol: valid in UTS #46, not in IDNA2008
           "xn--n3h.example",   // the same as an A-label
           "xn--abc-.example",  // A-label of pure ASCII
           "xn--a.example",     // undecodable / disallowed
           "xn--.example",      // empty punycode
           "\u0301a.example",   // leading combining mark
           "a\u200Db.example",  // ZWJ without virama
           "a\u00B7b.example",  // MIDDLE DOT outside l·l
           "\u05D0a.example",   // bidi rule
           "a\uFF0Fb.example",  // fullwidth solidus maps to '/'
           "a\uFF20b.example",  // fullwidth at maps to '@'
           "\u2474.example",    // PARENTHESIZED DIGIT ONE maps to "(1)"
           "a\u0640b.example",  // ARABIC TATWEEL
       }) {
    EXPECT_EQ(parts_error("", domain, ""), JidError::DomainInvalid) << domain;
  }
}

TEST(JidDomain, IpLiterals) {
  EXPECT_EQ(must_parse("juliet@192.0.2.1/r").domain(), "192.0.2.1");
  EXPECT_EQ(must_parse("juliet@[::1]/r").domain(), "[::1]");
  EXPECT_EQ(must_parse("[0:0:0:0:0:0:0:1]").domain(), "[::1]");
  EXPECT_EQ(must_parse("[FE80::A]").domain(), "[fe80::a]");
  EXPECT_EQ(must_parse("[2001:DB8:0:0:1:0:0:1]").domain(), "[2001:db8::1:0:0:1]");
  EXPECT_EQ(must_parse("[2001:db8:0:1:1:1:1:1]").domain(), "[2001:db8:0:1:1:1:1:1]");
  EXPECT_EQ(must_parse("[::ffff:192.0.2.1]").domain(), "[::ffff:192.0.2.1]");
  EXPECT_EQ(must_parse("[::ffff:c000:201]").domain(), "[::ffff:192.0.2.1]");
  EXPECT_EQ(must_parse("[::]").domain(), "[::]");
  EXPECT_EQ(must_parse("[1::]").domain(), "[1::]");
  EXPECT_EQ(must_parse("[::1]."), must_parse("[::1]"));
  EXPECT_EQ(must_parse("a@[::1]/r").full(), "a@[::1]/r");
}

// ---------------------------------------------------------------------------------------------
// Length limits (RFC 7622 §3.2-§3.4: 1023 octets each).

TEST(JidLength, Localpart) {
  const std::string ok(1023, 'a');
  EXPECT_EQ(must_parse(ok + "@example.com").local().size(), 1023u);
  EXPECT_EQ(parse_error(ok + "a@example.com"), JidError::LocalpartTooLong);
  // Two-octet letters: 511 'é' and one 'a' fit, 512 'é' do not.
  EXPECT_TRUE(Jid::parse(repeat("\u00E9", 511) + "a@example.com").ok());
  EXPECT_EQ(parse_error(repeat("\u00E9", 512) + "@example.com"), JidError::LocalpartTooLong);
  // Fullwidth input is measured after mapping: 1023 fullwidth letters are 3069 octets in.
  EXPECT_EQ(must_parse(repeat("\uFF41", 1023) + "@example.com").local(), ok);
  EXPECT_EQ(parse_error(repeat("\uFF41", 1024) + "@example.com"), JidError::LocalpartTooLong);
}

TEST(JidLength, Domain) {
  const std::string ok = domain_of_length(1023);
  ASSERT_EQ(ok.size(), 1023u);
  EXPECT_EQ(must_parse("a@" + ok).domain().size(), 1023u);
  EXPECT_EQ(must_parse("a@" + ok + ".").domain().size(), 1023u);
  const std::string too_long = domain_of_length(1024);
  ASSERT_EQ(too_long.size(), 1024u);
  EXPECT_EQ(parse_error("a@" + too_long), JidError::DomainTooLong);
  // Internationalized: U-labels measured in UTF-8 octets.
  std::string idn;
  while (idn.size() < 1030) {
    idn += repeat("\u00FC", 20) + ".";
  }
  idn += "example";
  EXPECT_EQ(parse_error(idn), JidError::DomainTooLong);
}

TEST(JidLength, Resource) {
  const std::string ok(1023, 'r');
  EXPECT_EQ(must_parse("a@example.com/" + ok).resource().size(), 1023u);
  EXPECT_EQ(parse_error("a@example.com/" + ok + "r"), JidError::ResourceTooLong);
  EXPECT_TRUE(Jid::parse("a@example.com/" + repeat("\u00E9", 511) + "r").ok());
  EXPECT_EQ(parse_error("a@example.com/" + repeat("\u00E9", 512)), JidError::ResourceTooLong);
  // Measured after mapping: 1023 ideographic spaces are 1023 spaces.
  EXPECT_EQ(must_parse("a@example.com/" + repeat("\u3000", 1023)).resource(),
            std::string(1023, ' '));
}

TEST(JidLength, HugeInputsAreRefusedBeforePreparation) {
  const std::string huge(1 << 20, 'x');
  EXPECT_EQ(parse_error(huge + "@example.com"), JidError::LocalpartTooLong);
  EXPECT_EQ(parse_error(huge), JidError::DomainTooLong);
  EXPECT_EQ(parse_error("a@example.com/" + huge), JidError::ResourceTooLong);
  EXPECT_EQ(parse_error(repeat("\u00E9", 1 << 19) + "@example.com"), JidError::LocalpartTooLong);
  EXPECT_EQ(parse_error("a@example.com/" + repeat("\u00E9", 1 << 19)), JidError::ResourceTooLong);
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8 in each part.

TEST(JidUtf8, InvalidSequencesAreRefusedInEveryPart) {
  const std::string_view bad[] = {
      "\x80",              // lone continuation byte
      "\xC3",              // truncated two-octet sequence
      "\xC3(",             // bad continuation
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",  // invalid lead byte
      "\xFF",
      "\xE2\x82",  // truncated three-octet sequence
  };
  for (std::string_view b : bad) {
    const std::string text = "a" + std::string(b) + "b";
    EXPECT_EQ(parts_error(text, "example.com", ""), JidError::LocalpartInvalid);
    EXPECT_EQ(parts_error("", text + ".example", ""), JidError::DomainInvalid);
    EXPECT_EQ(parts_error("a", "example.com", text), JidError::ResourceInvalid);
  }
}

// ---------------------------------------------------------------------------------------------
// Jid accessors and value semantics.

TEST(JidValue, DefaultIsEmpty) {
  const Jid jid;
  EXPECT_TRUE(jid.empty());
  EXPECT_FALSE(jid.is_bare());
  EXPECT_FALSE(jid.has_local());
  EXPECT_FALSE(jid.has_resource());
  EXPECT_EQ(jid.full(), "");
  EXPECT_EQ(jid.bare_view(), "");
  EXPECT_EQ(jid.local(), "");
  EXPECT_EQ(jid.domain(), "");
  EXPECT_EQ(jid.resource(), "");
  EXPECT_TRUE(jid.bare().empty());
  EXPECT_EQ(jid, Jid());
  ASSERT_FALSE(jid.with_resource("r").ok());
  EXPECT_EQ(jid.with_resource("r").error(), JidError::DomainEmpty);
}

TEST(JidValue, FullAndBare) {
  const Jid jid = must_parse("Juliet@Example.com/Balcony");
  EXPECT_FALSE(jid.empty());
  EXPECT_FALSE(jid.is_bare());
  EXPECT_EQ(jid.full(), "juliet@example.com/Balcony");
  EXPECT_EQ(jid.bare_view(), "juliet@example.com");
  EXPECT_EQ(jid.bare_view().data(), jid.full().data());  // a prefix, not a copy
  const Jid bare = jid.bare();
  EXPECT_TRUE(bare.is_bare());
  EXPECT_EQ(bare.full(), "juliet@example.com");
  EXPECT_EQ(bare.local(), "juliet");
  EXPECT_EQ(bare.domain(), "example.com");
  EXPECT_EQ(bare.resource(), "");
  EXPECT_EQ(bare, must_parse("juliet@example.com"));
  EXPECT_EQ(bare.bare(), bare);

  const Jid domain_only = must_parse("example.com/r");
  EXPECT_EQ(domain_only.bare().full(), "example.com");
  EXPECT_FALSE(domain_only.has_local());
  EXPECT_TRUE(domain_only.bare().is_bare());
}

TEST(JidValue, WithResource) {
  const Jid jid = must_parse("juliet@example.com/balcony");
  const Result<Jid, JidError> orchard = jid.with_resource("Orchard\u3000Wall");
  ASSERT_TRUE(orchard.ok());
  EXPECT_EQ(orchard->full(), "juliet@example.com/Orchard Wall");
  EXPECT_EQ(orchard->local(), "juliet");
  EXPECT_EQ(orchard->domain(), "example.com");
  EXPECT_EQ(orchard->resource(), "Orchard Wall");
  EXPECT_EQ(*orchard, must_parse("juliet@example.com/Orchard Wall"));
  EXPECT_EQ(jid.bare().with_resource("balcony").value(), jid);
  EXPECT_EQ(must_parse("example.com").with_resource("x/y@z").value().full(), "example.com/x/y@z");
  EXPECT_EQ(jid.with_resource("").error(), JidError::ResourceEmpty);
  EXPECT_EQ(jid.with_resource("a\x01").error(), JidError::ResourceInvalid);
  EXPECT_EQ(jid.with_resource(std::string(1024, 'r')).error(), JidError::ResourceTooLong);
}

TEST(JidValue, FromPartsMatchesParse) {
  EXPECT_EQ(Jid::from_parts("Juliet", "Example.COM", "Balcony").value(),
            must_parse("juliet@example.com/Balcony"));
  EXPECT_EQ(Jid::from_parts("", "example.com", "").value(), must_parse("example.com"));
  EXPECT_EQ(Jid::from_parts("", "example.com", "r").value(), must_parse("example.com/r"));
  EXPECT_EQ(Jid::from_parts("\u03A3", "b\u00FCcher.example", "a/b@c").value().full(),
            "\u03C3@b\u00FCcher.example/a/b@c");
  EXPECT_EQ(parts_error("a", "b/c", ""), JidError::DomainInvalid);
  EXPECT_EQ(parts_error("a", "b@c", ""), JidError::DomainInvalid);
}

TEST(JidValue, EqualityComparesPreparedForms) {
  EXPECT_EQ(must_parse("JULIET@EXAMPLE.COM"), must_parse("juliet@example.com"));
  EXPECT_EQ(must_parse("\uFF4A\uFF55\uFF4C\uFF49\uFF45\uFF54@example.com."),
            must_parse("juliet@example.com"));
  EXPECT_NE(must_parse("juliet@example.com"), must_parse("juliet@example.com/r"));
  EXPECT_NE(must_parse("juliet@example.com"), must_parse("example.com"));
  EXPECT_NE(must_parse("juliet@example.com/R"), must_parse("juliet@example.com/r"));
  EXPECT_LT(must_parse("a@example.com"), must_parse("b@example.com"));
}

TEST(JidValue, HashWorksInContainers) {
  const Jid a = must_parse("Juliet@example.com/balcony");
  const Jid b = must_parse("juliet@EXAMPLE.com/balcony");
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(JidHash{}(a), a.hash());
  EXPECT_EQ(std::hash<Jid>{}(a), a.hash());
  std::unordered_map<Jid, int, JidHash> map;
  map[a] = 1;
  map[b] += 1;
  map[a.bare()] = 10;
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.at(must_parse("juliet@example.com/balcony")), 2);
  EXPECT_EQ(map.at(must_parse("juliet@example.com")), 10);
  std::unordered_set<Jid> set{a, b, a.bare()};
  EXPECT_EQ(set.size(), 2u);
  std::map<Jid, int> ordered{{a, 1}, {a.bare(), 2}};
  EXPECT_EQ(ordered.size(), 2u);
}

TEST(JidValue, CopyAndMoveKeepParts) {
  const Jid original = must_parse("juliet@example.com/balcony");
  Jid copy = original;
  EXPECT_EQ(copy.local(), "juliet");
  EXPECT_EQ(copy.resource(), "balcony");
  Jid moved = std::move(copy);
  EXPECT_EQ(moved, original);
  EXPECT_EQ(moved.domain(), "example.com");
}

TEST(JidValue, DescribeIsNonEmptyForEveryError) {
  for (JidError error : {JidError::Empty, JidError::LocalpartEmpty, JidError::LocalpartTooLong,
                         JidError::LocalpartInvalid, JidError::DomainEmpty, JidError::DomainTooLong,
                         JidError::DomainInvalid, JidError::ResourceEmpty,
                         JidError::ResourceTooLong, JidError::ResourceInvalid}) {
    EXPECT_FALSE(describe(error).empty());
  }
  EXPECT_EQ(describe(JidError::LocalpartInvalid), "localpart contains a disallowed character");
}

// ---------------------------------------------------------------------------------------------
// Idempotence: preparing a prepared JID changes nothing (RFC 8264 §7).

TEST(JidIdempotence, ReparsingFullGivesTheSameJid) {
  const std::string_view inputs[] = {
      "juliet@example.com/foo bar",
      "JULIET@EXAMPLE.COM./Foo",
      "\u03A3\u0391\u03A3@example.com",
      "\u0130stanbul@example.com",
      "\u1E9E@example.com",
      "\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0E\uFF43",
      "\uFF76\uFF9E@example.com/\uFF76\uFF9E",
      "xn--bcher-kva.example/\u212B",
      "B\u00DCCHER.example/a\u3000b",
      "fa\u00DF.de",
      "[0:0::FFFF:192.0.2.1]/r",
      "[2001:DB8::0:1]",
      "\u05E9\u05DC\u05D5\u05DD@\u05D0\u05D1.example/\u05D0 1",
      "col\u00B7lecci\u00F3@example.com",
      "\u0915\u094D\u200D\u0937@example.com",
      "\u212A\u2126@example.com/\u2126",
      "e\u0301\u0323@example.com/e\u0301\u0323",
      "a@b/c@d/e",
      "example.com\u3002com",
      "\u1100\u1161\u11A8@example.com",
  };
  for (std::string_view input : inputs) {
    SCOPED_TRACE(input);
    const Jid jid = must_parse(input);
    const Jid again = must_parse(jid.full());
    EXPECT_EQ(again, jid);
    EXPECT_EQ(again.local(), jid.local());
    EXPECT_EQ(again.domain(), jid.domain());
    EXPECT_EQ(again.resource(), jid.resource());
    EXPECT_EQ(Jid::from_parts(jid.local(), jid.domain(), jid.resource()).value(), jid);
  }
}

// ---------------------------------------------------------------------------------------------
// The ASCII fast path and the ICU path agree on ASCII input.

void expect_paths_agree(std::string_view part) {
  using Prep = PrepStatus (*)(std::string_view, std::string&);
  const std::pair<Prep, Prep> pairs[] = {
      {&precis::prepare_localpart, &precis::detail::prepare_localpart_unicode},
      {&precis::prepare_domain, &precis::detail::prepare_domain_unicode},
      {&precis::prepare_resource, &precis::detail::prepare_resource_unicode},
  };
  for (const auto& [fast, slow] : pairs) {
    std::string fast_out = "prefix";
    std::string slow_out = "prefix";
    const PrepStatus fast_status = fast(part, fast_out);
    const PrepStatus slow_status = slow(part, slow_out);
    EXPECT_EQ(fast_status, slow_status) << "\"" << part << "\"";
    EXPECT_EQ(fast_out, slow_out) << "\"" << part << "\"";
    if (fast_status != PrepStatus::Ok) {
      EXPECT_EQ(fast_out, "prefix");  // untouched on failure
    }
  }
}

TEST(JidPrepPaths, EveryAsciiCharacterAlone) {
  for (int c = 0; c < 0x80; ++c) {
    const char ch = static_cast<char>(c);
    expect_paths_agree(std::string(1, ch));
    expect_paths_agree(std::string("a") + ch + "b");
    expect_paths_agree(std::string("ab.") + ch + "d");
  }
}

TEST(JidPrepPaths, AsciiSamples) {
  for (std::string_view part : std::initializer_list<std::string_view>{"",
                                                                       "a",
                                                                       "A",
                                                                       "example.com",
                                                                       "Example.COM.",
                                                                       "a..b",
                                                                       "-a",
                                                                       "a-",
                                                                       "ab--cd",
                                                                       "xn--bcher-kva",
                                                                       "xn--",
                                                                       "xn--a",
                                                                       "XN--BCHER-KVA.example",
                                                                       "[::1]",
                                                                       "[FE80::1]",
                                                                       "1.2.3.4",
                                                                       "localhost",
                                                                       "foo bar",
                                                                       " ",
                                                                       "a\tb",
                                                                       "123",
                                                                       "a.b.c.d.e.f.g",
                                                                       "."}) {
    expect_paths_agree(part);
  }
  expect_paths_agree(std::string(63, 'a') + ".b");
  expect_paths_agree(std::string(64, 'a') + ".b");
  expect_paths_agree(std::string(1023, 'a'));
  expect_paths_agree(std::string(1024, 'a'));
  expect_paths_agree(domain_of_length(1023));
  expect_paths_agree(domain_of_length(1024));
  expect_paths_agree(std::string(5000, 'a'));
}

}  // namespace
}  // namespace tern::xmpp
