// SPDX-License-Identifier: MIT
// The archive store and the XEP-0313 query engine on a real store: appending with retention,
// ids, paging forward and back (RSM after/before, the last page), time and 'with' filters, the
// caller's visibility filter, unknown ids and form fields refused, expiry in time order (and
// index entries of deleted archives dropped), and the device slots of the sync archive.
#include <gtest/gtest.h>

#include "modules/mam/archive_store.h"
#include "modules/mam/query.h"
#include "tests/unit/storage/temp_store.h"
#include "xmpp/namespaces.h"
#include "xmpp/stream_parser.h"

namespace tern::modules::mam {
namespace {

constexpr std::string_view kRoom = "garden@conference.example.org";
constexpr std::int64_t kT0 = 1796618040000;  // 2026-12-07T04:34:00Z

class MamArchiveTest : public storage::testing::TempStore {
 protected:
  void SetUp() override {
    TempStore::SetUp();
    stores_ = ArchiveStores{env().open_store("muc_archive", StoreScope::Global).value(),
                            env().open_store("archive_expiry", StoreScope::Global).value(),
                            ArchiveKind::Room};
  }
  // Appends messages m<i> stamped a minute apart, from alternating occupants.
  void fill(std::string_view owner, int n, Retention retention = {}) {
    auto written = env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
      for (int i = 0; i < n; ++i) {
        Entry e{kT0 + std::int64_t{i} * 60000,
                false,
                false,
                0,
                std::string(kRoom) + (i % 2 == 0 ? "/romeo" : "/juliet"),
                "id" + std::to_string(i),
                "<message xmlns='jabber:client' type='groupchat'><body>m" + std::to_string(i) +
                    "</body></message>"};
        if (auto r = append(txn, stores_, owner, e, retention); !r) {
          return Err(r.error());
        }
      }
      return {};
    });
    ASSERT_TRUE(written.ok());
  }
  Result<Query, xmpp::StanzaError> parse(std::string_view xml) {
    query_ = xmpp::parse_stanza(xml);
    return read_query(query_->root(), PageLimits{3, 4});
  }
  // The ids of a page, or the error's condition name.
  std::vector<std::string> ids(std::string_view query_xml,
                               const std::function<bool(const Entry&)>& visible = {}) {
    auto q = parse(query_xml);
    if (!q) {
      return {"error:" + std::string(xmpp::condition_name(q.error().condition))};
    }
    auto txn = env().read();
    auto page = run_query(
        *txn, stores_, kRoom, *q, visible ? visible : [](const Entry&) { return true; });
    if (!page) {
      return {"error:" + std::string(xmpp::condition_name(page.error().condition))};
    }
    std::vector<std::string> out;
    for (const StoredEntry& s : page->entries) {
      out.push_back(s.entry.id);
    }
    complete_ = page->complete;
    return out;
  }
  ArchiveStores stores_;
  xmpp::StanzaPtr query_;
  bool complete_ = false;
};

using V = std::vector<std::string>;
constexpr std::string_view kOpen = "<query xmlns='urn:xmpp:mam:2'>";

std::string q(std::string_view inner) {
  return std::string(kOpen) + std::string(inner) + "</query>";
}
std::string rsm(std::string_view inner) {
  return "<set xmlns='http://jabber.org/protocol/rsm'>" + std::string(inner) + "</set>";
}
std::string form(std::string_view fields) {
  return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2"
         "</value></field>" +
         std::string(fields) + "</x>";
}

TEST_F(MamArchiveTest, PagesForwardAndBack) {
  fill(kRoom, 6);
  EXPECT_EQ(ids(q("")), (V{"id0", "id1", "id2"}));  // the default page size, oldest first
  EXPECT_FALSE(complete_);
  EXPECT_EQ(ids(q(rsm("<after>id2</after>"))), (V{"id3", "id4", "id5"}));
  EXPECT_TRUE(complete_);
  EXPECT_EQ(ids(q(rsm("<max>2</max><before/>"))), (V{"id4", "id5"}));  // the last page
  EXPECT_FALSE(complete_);
  EXPECT_EQ(ids(q(rsm("<max>9</max><before>id2</before>"))), (V{"id0", "id1"}));
  EXPECT_TRUE(complete_);
  EXPECT_EQ(ids(q(rsm("<max>100</max>"))).size(), 4U);  // capped at the limit, no error
  EXPECT_EQ(ids(q(rsm("<after>nope</after>"))), (V{"error:item-not-found"}));
  EXPECT_EQ(ids(q(rsm("<max>x</max>"))), (V{"error:bad-request"}));
}

TEST_F(MamArchiveTest, FiltersByTimeWithIdsAndVisibility) {
  fill(kRoom, 6);
  EXPECT_EQ(ids(q(form("<field var='start'><value>2026-12-07T04:36:00Z</value></field>"))),
            (V{"id2", "id3", "id4"}));
  EXPECT_EQ(ids(q(form("<field var='end'><value>2026-12-07T04:35:00Z</value></field>"))),
            (V{"id0", "id1"}));
  EXPECT_EQ(ids(q(form("<field var='with'><value>garden@conference.example.org/juliet</value>"
                       "</field>"))),
            (V{"id1", "id3", "id5"}));
  EXPECT_EQ(ids(q(form("<field var='ids'><value>id4</value><value>id1</value></field>"))),
            (V{"id1", "id4"}));
  EXPECT_EQ(ids(q(form("<field var='after-id'><value>id3</value></field>"))), (V{"id4", "id5"}));
  EXPECT_EQ(ids(q(""), [](const Entry& e) { return e.id != "id1"; }), (V{"id0", "id2", "id3"}));
  // XEP-0313 §4.1.5: a field the server does not know; a date that is not one.
  EXPECT_EQ(ids(q(form("<field var='fulltext'><value>x</value></field>"))),
            (V{"error:feature-not-implemented"}));
  EXPECT_EQ(ids(q(form("<field var='start'><value>yesterday</value></field>"))),
            (V{"error:bad-request"}));
}

TEST_F(MamArchiveTest, RetentionKeepsTheNewestAndExpiresInTimeOrder) {
  fill(kRoom, 5, Retention{3, std::chrono::hours(1)});
  {
    auto txn = env().read();
    EXPECT_EQ(count(*txn, stores_, kRoom), 3U);
    EXPECT_FALSE(find_id(*txn, stores_, kRoom, "id1"));  // the oldest went
    EXPECT_TRUE(find_id(*txn, stores_, kRoom, "id4"));
  }
  // Everything stamped before m3 (04:37) expires; the rest stays.
  auto cutoff = Clock::time_point(std::chrono::milliseconds(kT0 + std::int64_t{3} * 60000));
  auto expired = env().write([&](WriteTxn& w) -> Result<void, StoreError> {
    auto n = expire(w, stores_, cutoff, 100);
    if (!n) {
      return Err(n.error());
    }
    EXPECT_EQ(*n, 1U);  // id2
    return {};
  });
  ASSERT_TRUE(expired.ok());
  auto after = env().read();
  EXPECT_EQ(count(*after, stores_, kRoom), 2U);
  EXPECT_FALSE(find_id(*after, stores_, kRoom, "id2"));
  // A whole archive deleted leaves nothing behind.
  ASSERT_TRUE(env().write([&](WriteTxn& w) { return remove_all(w, stores_, kRoom); }).ok());
  auto gone = env().read();
  EXPECT_EQ(count(*gone, stores_, kRoom), 0U);
  bool any_expiry = false;
  gone->scan(stores_.expiry, "", [&](std::string_view, std::string_view) {
    any_expiry = true;
    return false;
  });
  EXPECT_FALSE(any_expiry);
}

// An account entry's flags (hidden for the offline queue; first kept for a live delivery) come
// back as they were written: the offline queue's refusal decides by them.
TEST_F(MamArchiveTest, AnEntryKeepsItsQueuedAndLiveFlags) {
  const std::string owner = "juliet@example.org";
  auto written = env().write([&](WriteTxn& txn) -> Result<void, StoreError> {
    for (int i = 0; i < 4; ++i) {
      Entry e{kT0,
              (i & 1) != 0,
              (i & 2) != 0,
              5,
              "romeo@example.org",
              "f" + std::to_string(i),
              "<message xmlns='jabber:client'/>"};
      if (auto r = append(txn, stores_, owner, e, Retention{}); !r) {
        return Err(r.error());
      }
    }
    return {};
  });
  ASSERT_TRUE(written.ok());
  auto txn = env().read();
  for (int i = 0; i < 4; ++i) {
    auto seq = find_id(*txn, stores_, owner, "f" + std::to_string(i));
    ASSERT_TRUE(seq.has_value()) << i;
    auto entry = get(*txn, stores_, owner, *seq);
    ASSERT_TRUE(entry.has_value()) << i;
    EXPECT_EQ(entry->queued, (i & 1) != 0) << i;
    EXPECT_EQ(entry->live, (i & 2) != 0) << i;
    EXPECT_EQ(entry->waiting, 5U) << i;
  }
}

TEST_F(MamArchiveTest, DevicesTakeSlotsAndTheLongestUnseenGivesItsSlotUp) {
  const std::string owner = "juliet@example.org";
  auto see = [&](const std::string& device, std::int64_t at) {
    Device seen_as;
    auto r = env().write([&](WriteTxn& w) -> Result<void, StoreError> {
      auto d = seen(w, stores_, owner, device, at);
      if (!d) {
        return Err(d.error());
      }
      seen_as = *d;
      return {};
    });
    EXPECT_TRUE(r.ok());
    return seen_as;
  };
  EXPECT_EQ(see("phone", 10).slot, 0);
  EXPECT_EQ(see("laptop", 20).slot, 1);
  EXPECT_EQ(see("phone", 30).slot, 0);  // known: same slot
  for (int i = 2; i < 32; ++i) {
    EXPECT_EQ(see("d" + std::to_string(i), 100 + i).slot, i);
  }
  // All 32 taken: the laptop (seen at 20) is the longest unseen.
  EXPECT_EQ(see("tablet", 500).slot, 1);
  auto txn = env().read();
  auto all = devices(*txn, stores_, owner);
  EXPECT_EQ(all.size(), 32U);
  EXPECT_EQ(recent_slots(all, 135), 1U << 1);    // only the tablet was seen since 135
  EXPECT_EQ(recent_slots(all, 0), 0xFFFFFFFFU);  // everyone since the beginning
}

}  // namespace
}  // namespace tern::modules::mam
