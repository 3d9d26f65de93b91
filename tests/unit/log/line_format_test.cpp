// SPDX-License-Identifier: MIT
#include "log/line_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2025-06-01T10:00:00.123Z
const std::chrono::system_clock::time_point kTime{seconds(1748772000) + milliseconds(123)};

std::string line(Format format, Level level, std::string_view message, Fields fields) {
  std::string out;
  format_line(format,
              Event{kTime, level, "c2s", "auth.failure", message,
                    std::span<const Field>(fields.begin(), fields.size())},
              out);
  return out;
}

std::string json(std::string_view text) {
  std::string out;
  append_json_string(text, out);
  return out;
}

std::string text(std::string_view value) {
  std::string out;
  append_text_value(value, out);
  return out;
}

TEST(LineFormat, TextLine) {
  EXPECT_EQ(line(Format::Text, Level::Warn, "authentication failed",
                 {{"mechanism", "SCRAM-SHA-256"},
                  {"user", "romeo"},
                  {"failures", 2},
                  {"plus", false},
                  {"text", "two words"}}),
            "2025-06-01T10:00:00.123Z warn  c2s auth.failure: authentication failed "
            "mechanism=SCRAM-SHA-256 user=romeo failures=2 plus=false text=\"two words\"");
}

TEST(LineFormat, JsonLine) {
  EXPECT_EQ(line(Format::Json, Level::Info, "authentication failed",
                 {{"user", "ro\"meo"}, {"failures", -3}, {"plus", true}}),
            R"({"time":"2025-06-01T10:00:00.123Z","level":"info","component":"c2s",)"
            R"("event":"auth.failure","msg":"authentication failed","user":"ro\"meo",)"
            R"("failures":-3,"plus":true})");
}

TEST(LineFormat, JournaldLineHasThePriorityAndNoTime) {
  EXPECT_EQ(line(Format::Journald, Level::Error, "m", {{"k", "v"}}), "<3>c2s auth.failure: m k=v");
  EXPECT_EQ(line(Format::Journald, Level::Warn, "m", {}), "<4>c2s auth.failure: m");
  EXPECT_EQ(line(Format::Journald, Level::Info, "m", {}), "<6>c2s auth.failure: m");
  EXPECT_EQ(line(Format::Journald, Level::Debug, "m", {}), "<7>c2s auth.failure: m");
}

TEST(LineFormat, JsonEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json("plain"), "\"plain\"");
  EXPECT_EQ(json("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json("a\\b"), R"("a\\b")");
  EXPECT_EQ(json("line\nbreak\r\ttab"), R"("line\nbreak\r\ttab")");
  EXPECT_EQ(json(std::string_view("nul\0bell\a", 9)), R"("nul\u0000bell\u0007")");
  EXPECT_EQ(json("esc\x1b[31mred del\x7f"), R"("esc\u001b[31mred del\u007f")");
  EXPECT_EQ(json(""), "\"\"");
}

TEST(LineFormat, JsonKeepsUtf8AndReplacesWhatIsNotUtf8) {
  EXPECT_EQ(json("juli\xc3\xab\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"juli\xc3\xab\xe2\x82\xac\xf0\x9f\x98\x80\"");     // ë € 😀 as they are
  EXPECT_EQ(json("\xc2\x85next-line"), R"("\u0085next-line")");  // C1 control
  EXPECT_EQ(json("bad\xff"), R"("bad\ufffd")");
  EXPECT_EQ(json("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(json("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(json("cut\xe2\x82"), R"("cut\ufffd\ufffd")");      // truncated sequence
}

TEST(LineFormat, TextValuesAreBareOnlyWhenPlain) {
  EXPECT_EQ(text("romeo@localhost/phone"), "romeo@localhost/phone");
  EXPECT_EQ(text(""), "\"\"");
  EXPECT_EQ(text("two words"), "\"two words\"");
  EXPECT_EQ(text("k=v"), "\"k=v\"");
  EXPECT_EQ(text("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(text("juli\xc3\xab"), "\"juli\xc3\xab\"");
  EXPECT_EQ(text("bad\xff"), R"("bad\xff")");
}

TEST(LineFormat, NoDataCanStartASecondLine) {
  // A username with a newline and a fake line behind it stays on one line, in every format.
  const std::string forged = "mallory\n2025-06-01T10:00:00.000Z info  c2s auth.success: x";
  for (Format format : {Format::Text, Format::Json, Format::Journald}) {
    std::string out = line(format, Level::Warn, "m\nm", {{"user", forged}});
    EXPECT_EQ(out.find('\n'), std::string::npos) << out;
    EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  }
}

TEST(LineFormat, EmptyTextFieldsAreLeftOutAndLongOnesCut) {
  EXPECT_EQ(line(Format::Text, Level::Info, "m", {{"jid", ""}, {"n", 0}, {"peer", "p"}}),
            "2025-06-01T10:00:00.123Z info  c2s auth.failure: m n=0 peer=p");
  EXPECT_EQ(line(Format::Json, Level::Info, "m", {{"jid", ""}}).find("jid"), std::string::npos);
  const std::string long_text(5000, 'a');
  std::string cut = line(Format::Json, Level::Info, "m", {{"text", long_text}});
  EXPECT_NE(cut.find("\"text\":\"" + std::string(1024, 'a') + "...[+3976 bytes]\"}"),
            std::string::npos)
      << cut;
  cut = line(Format::Text, Level::Info, "m", {{"text", long_text}});
  EXPECT_TRUE(cut.ends_with(" text=\"" + std::string(1024, 'a') + "...[+3976 bytes]\"")) << cut;
}

TEST(LineFormat, LevelAndFormatNames) {
  EXPECT_EQ(parse_level("debug"), Level::Debug);
  EXPECT_EQ(parse_level("warn"), Level::Warn);
  EXPECT_EQ(parse_level("off"), Level::Off);
  EXPECT_EQ(parse_level("warning"), std::nullopt);
  EXPECT_EQ(parse_format("json"), Format::Json);
  EXPECT_EQ(parse_format("journald"), Format::Journald);
  EXPECT_EQ(parse_format("xml"), std::nullopt);
}

TEST(LineFormat, TimeIsUtcWithMilliseconds) {
  std::string out;
  append_time(std::chrono::system_clock::time_point{seconds(0) + milliseconds(7)}, out);
  EXPECT_EQ(out, "1970-01-01T00:00:00.007Z");
  out.clear();
  append_time(kTime, out);
  EXPECT_EQ(out, "2025-06-01T10:00:00.123Z");
}

}  // namespace
}  // namespace tern::log
