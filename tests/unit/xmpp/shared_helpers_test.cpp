// SPDX-License-Identifier: MIT
// The helpers modules share instead of copying: XEP-0082 date-times, random ids, and presence
// stanzas the server writes.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "xmpp/datetime.h"
#include "xmpp/presence.h"
#include "xmpp/random_ids.h"

namespace tern::xmpp {
namespace {

TEST(Datetime, Xep82InUtcWithMilliseconds) {
  // 2026-12-07T04:34:00.123Z is 1796618040123 ms after the epoch.
  auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796618040123));
  EXPECT_EQ(xep82_datetime(when), "2026-12-07T04:34:00.123Z");
  EXPECT_EQ(xep82_datetime(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000Z");
}

TEST(Datetime, ParsesXep82DateTimes) {
  using std::chrono::milliseconds;
  auto at = [](std::int64_t ms) { return std::chrono::system_clock::time_point(milliseconds(ms)); };
  EXPECT_EQ(parse_xep82_datetime("2026-12-07T04:34:00.123Z"), at(1796618040123));
  EXPECT_EQ(parse_xep82_datetime("2026-12-07T04:34:00Z"), at(1796618040000));
  // The same instant with an offset (XEP-0082 §3.2 TZD).
  EXPECT_EQ(parse_xep82_datetime("2026-12-07T06:34:00.123+02:00"), at(1796618040123));
  EXPECT_EQ(parse_xep82_datetime("2026-12-07T03:04:00.123-01:30"), at(1796618040123));
  EXPECT_EQ(parse_xep82_datetime("1970-01-01T00:00:00.000001Z"),
            std::chrono::system_clock::time_point(std::chrono::microseconds(1)));
  for (std::string_view bad :
       {"", "2026-12-07", "2026-12-07T04:34:00", "2026-13-07T04:34:00Z", "2026-02-30T04:34:00Z",
        "2026-12-07T24:00:00Z", "2026-12-07T04:34:00.Z", "2026-12-07T04:34:00Zjunk",
        "2026-12-07 04:34:00Z", "2026-12-07T04:34:00+0200"}) {
    EXPECT_EQ(parse_xep82_datetime(bad), std::nullopt) << bad;
  }
  // What the server writes, it reads back.
  auto now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  EXPECT_EQ(parse_xep82_datetime(xep82_datetime(now)), now);
}

// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx with lowercase hex and y in 8, 9, a, b (RFC 9562 §5.4).
bool is_uuid_v4(const std::string& id) {
  if (id.size() != 36 || id[14] != '4' ||
      std::string_view("89ab").find(id[19]) == std::string::npos) {
    return false;
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-'
             : std::string_view("0123456789abcdef").find(id[i]) == std::string::npos) {
      return false;
    }
  }
  return true;
}

TEST(RandomIds, UuidsAreVersion4AndDistinct) {
  EXPECT_FALSE(is_uuid_v4("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));  // version 1: the check bites
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_uuid();
    ASSERT_TRUE(is_uuid_v4(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(RandomIds, HexHasTwoDigitsPerByte) {
  std::string id = random_hex(9);
  EXPECT_EQ(id.size(), 18U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(Presence, MadeAndReaddressed) {
  StanzaPtr p = make_presence("juliet@example.com", "romeo@example.net", "subscribed");
  EXPECT_EQ(p->kind(), StanzaKind::Presence);
  EXPECT_EQ(p->from(), "juliet@example.com");
  EXPECT_EQ(p->to(), "romeo@example.net");
  EXPECT_EQ(p->type(), "subscribed");
  StanzaPtr broadcast = make_presence("juliet@example.com/balcony", {});
  EXPECT_FALSE(broadcast->root().has_attr("to"));
  EXPECT_FALSE(broadcast->root().has_attr("type"));
  StanzaPtr copy = readdressed(*broadcast, "nurse@example.com");
  EXPECT_EQ(copy->to(), "nurse@example.com");
  EXPECT_EQ(copy->from(), "juliet@example.com/balcony");
  EXPECT_FALSE(broadcast->root().has_attr("to"));  // the original is untouched
}

}  // namespace
}  // namespace tern::xmpp
