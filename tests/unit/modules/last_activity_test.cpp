// SPDX-License-Identifier: MIT
// The last_activity module (XEP-0012, the module guide's example) on the module harness with the
// roster module, over a real store: only someone who may see the account's presence gets an
// answer; an account online now was active 0 seconds ago; a logout is answered from memory at
// once, written by the timer (or by stop()) and read from the store after a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "modules/roster/roster_store.h"
#include "tern/record.h"
#include "tests/unit/modules/module_harness.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kQuery =
    "<iq type='get' id='last' to='juliet@example.com'><query xmlns='jabber:iq:last'/></iq>";

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class LastActivityTest : public ::testing::Test {
 protected:
  // Juliet's roster gives `contact` a 'from' subscription: it may see her presence.
  void let_see(std::string_view contact) {
    roster::RosterStore rosters(
        harness.store().open_store("roster", StoreScope::PerAccount).value());
    roster::RosterItem item;
    item.jid = contact;
    item.subscription = roster::Subscription::From;
    ASSERT_TRUE(harness.store()
                    .write([&](WriteTxn& txn) -> Result<void, StoreError> {
                      auto put = rosters.put(txn, "juliet@example.com", item);
                      return put ? Result<void, StoreError>{} : Err(put.error());
                    })
                    .ok());
  }
  // A logout of Juliet's `seconds_ago`, as the module stores it.
  void store_logout(std::uint64_t seconds_ago) {
    StoreId store = harness.store().open_store("last_activity", StoreScope::PerAccount).value();
    std::string value;
    record::put_u64(value, unix_now() - seconds_ago);
    ASSERT_TRUE(harness.store()
                    .write([&](WriteTxn& txn) {
                      return txn.put(store, std::string("juliet@example.com") + '\0', value);
                    })
                    .ok());
  }
  // The seconds answered to `from`, or the error condition.
  std::string ask(std::string_view from) {
    xmpp::StanzaPtr reply = harness.iq(kQuery, from);
    if (reply == nullptr) {
      return "(no reply)";
    }
    if (reply->type() == "error") {
      auto error = xmpp::StanzaError::from_stanza(reply->root());
      return error ? "error " + std::string(xmpp::condition_name(error->condition)) : "error";
    }
    const xmpp::Element* query = reply->root().child("query", "jabber:iq:last");
    return query != nullptr ? std::string(query->attr("seconds")) : "(no query)";
  }

  testing::ModuleHarness harness{{"last_activity", "roster"}};
};

TEST_F(LastActivityTest, OnlyThoseWhoMaySeeThePresenceGetAnAnswer) {
  store_logout(100);
  EXPECT_EQ(ask("romeo@example.com/garden"), "error forbidden");
  let_see("romeo@example.com");
  std::string seconds = ask("romeo@example.com/garden");
  ASSERT_NE(seconds.find_first_not_of("0123456789"), 0U) << seconds;
  EXPECT_GE(std::stoull(seconds), 100U);
  EXPECT_LT(std::stoull(seconds), 110U);
  // Her own account needs no subscription.
  EXPECT_NE(ask("juliet@example.com/phone"), "error forbidden");
}

TEST_F(LastActivityTest, AnAccountOnlineNowWasActiveZeroSecondsAgo) {
  let_see("romeo@example.com");
  store_logout(100);
  harness.services().connect("juliet@example.com/balcony", false);
  EXPECT_EQ(ask("romeo@example.com/garden"), "0");
}

TEST_F(LastActivityTest, NeverSeenOfflineIsItemNotFound) {
  let_see("romeo@example.com");
  EXPECT_EQ(ask("romeo@example.com/garden"), "error item-not-found");
}

TEST_F(LastActivityTest, ALogoutIsWrittenByTheTimerAndKeptAcrossARestart) {
  let_see("romeo@example.com");
  harness.host().run_account_offline("juliet@example.com");
  EXPECT_EQ(ask("romeo@example.com/garden"), "0");  // from memory, before any write
  harness.host().run_timers(1'000'000);             // the first tick schedules the timer
  harness.host().run_timers(1'000'001);
  harness.services().settle();
  harness.restart({"last_activity", "roster"});
  std::string seconds = ask("romeo@example.com/garden");
  EXPECT_TRUE(seconds == "0" || seconds == "1") << seconds;
}

TEST_F(LastActivityTest, StopWritesWhatTheTimerHadNotYet) {
  let_see("romeo@example.com");
  harness.host().run_account_offline("juliet@example.com");
  harness.host().stop_modules();
  harness.services().settle();
  harness.restart({"last_activity", "roster"});
  std::string seconds = ask("romeo@example.com/garden");
  EXPECT_TRUE(seconds == "0" || seconds == "1") << seconds;
}

TEST_F(LastActivityTest, PastMaxPendingTheLogoutsAreWrittenAtOnce) {
  harness.restart(
      {"last_activity", "roster"},
      {{"last_activity", {{"max_pending", ModuleOptions::Value{std::int64_t{2}, "test"}}}}});
  for (std::string_view jid : {"juliet@example.com", "romeo@example.com"}) {
    harness.host().create_account(jid, "pw", [](StoreStatus, AccountChange) {});
  }
  harness.services().settle();
  auto stored = [&](std::string_view jid) {
    StoreId store = harness.store().open_store("last_activity", StoreScope::PerAccount).value();
    auto txn = harness.store().read();
    return txn.ok() && txn->get(store, std::string(jid) + '\0').has_value();
  };
  harness.host().run_account_offline("juliet@example.com");
  harness.services().settle();
  EXPECT_FALSE(stored("juliet@example.com"));  // one waits for the timer
  harness.host().run_account_offline("romeo@example.com");
  harness.services().settle();  // no timer ran: the second filled the batch
  EXPECT_TRUE(stored("juliet@example.com"));
  EXPECT_TRUE(stored("romeo@example.com"));
}

TEST_F(LastActivityTest, TheServerAnswersItsUptime) {
  xmpp::StanzaPtr reply = harness.iq("<iq type='get' id='up'><query xmlns='jabber:iq:last'/></iq>",
                                     "romeo@example.com/garden", Addressed::ToServer);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->type(), "result");
  const xmpp::Element* query = reply->root().child("query", "jabber:iq:last");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->attr("seconds"), "0");
}

}  // namespace
}  // namespace tern::modules
