// SPDX-License-Identifier: MIT
#include "xmpp/escape.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::xmpp {
namespace {

std::string text(std::string_view in) {
  std::string out;
  append_escaped_text(out, in);
  return out;
}

std::string attr(std::string_view in) {
  std::string out;
  append_escaped_attr(out, in);
  return out;
}

TEST(Escape, TextEscapesMarkupCharacters) {
  EXPECT_EQ(text("a & b < c > d"), "a &amp; b &lt; c &gt; d");
  EXPECT_EQ(text("]]>"), "]]&gt;");  // "]]>" must never appear raw in character data
  EXPECT_EQ(text("'quotes' \"stay\""), "'quotes' \"stay\"");
  EXPECT_EQ(text("&amp;"), "&amp;amp;");
}

TEST(Escape, TextKeepsTabAndNewlineButEscapesCarriageReturn) {
  EXPECT_EQ(text("a\tb\nc\rd"), "a\tb\nc&#13;d");
}

TEST(Escape, AttributeEscapesQuotesAndWhitespace) {
  EXPECT_EQ(attr("it's \"x\" & <y>"), "it&apos;s &quot;x&quot; &amp; &lt;y&gt;");
  EXPECT_EQ(attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
}

TEST(Escape, ForbiddenControlCharactersBecomeReplacementCharacter) {
  std::string in(
      "a\x01"
      "b\x1F"
      "c",
      5);
  in += '\0';
  EXPECT_EQ(text(in),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD");
  EXPECT_EQ(attr("\x0B"), "\xEF\xBF\xBD");
}

TEST(Escape, Utf8PassesThrough) {
  EXPECT_EQ(text("caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD"),
            "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD");
  EXPECT_EQ(attr("\xD0\x9F\xD1\x80\xD0\xB8"), "\xD0\x9F\xD1\x80\xD0\xB8");
}

TEST(Escape, AppendsToExistingContent) {
  std::string out = "prefix:";
  append_escaped_text(out, "<");
  EXPECT_EQ(out, "prefix:&lt;");
  EXPECT_EQ(text(""), "");
}

}  // namespace
}  // namespace tern::xmpp
