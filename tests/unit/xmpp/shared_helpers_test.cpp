// SPDX-License-Identifier: MIT
// The helpers modules share instead of copying: XEP-0082 date-times, random ids, and presence
// stanzas the server writes.
#include <gtest/gtest.h>

#include <regex>
#include <set>

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

TEST(RandomIds, UuidsAreVersion4AndDistinct) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_uuid();
    ASSERT_TRUE(std::regex_match(id, v4)) << id;
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
