// SPDX-License-Identifier: MIT
// The offline module (XEP-0160) on a ModuleHost with fake services and a real LMDB store, where
// the test decides when each store write commits and when its completion runs. That makes the
// races deterministic: here, a message whose commit completes just after its recipient's initial
// presence must reach that session once, not once from each delivery.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "modules/builtin_modules.h"
#include "modules/offline/offline_store.h"
#include "storage/env.h"
#include "tests/unit/modules/module_harness.h"
#include "xmpp/stream_parser.h"

namespace tern {
namespace {

using xmpp::Jid;
using xmpp::StanzaPtr;

Jid jid(std::string_view text) {
  return Jid::parse(text).value();
}

class OfflineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<testing::ModuleHarness>(std::vector<std::string>{"offline"});
    services_ = &harness_->services();
    env_ = &harness_->store();
    host_ = &harness_->host();
  }
  // The module again, with these options (same store and sessions).
  void restart(const core::ModuleOptionTables& options) {
    harness_->restart({"offline"}, options);
    host_ = &harness_->host();
  }

  // Romeo's chat message to Juliet's bare JID when no resource of hers can take it.
  void undeliverable(std::string_view body) {
    StanzaPtr message = xmpp::parse_stanza(
        "<message xmlns='jabber:client' from='romeo@example.com/home' to='juliet@example.com' "
        "type='chat'><body>" +
        std::string(body) + "</body></message>");
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(host_->run_undeliverable_message(message), Verdict::Handled);
  }
  void presence(std::string_view full, PresenceChange change) {
    services_->connect(full, change != PresenceChange::Unavailable);
    StanzaPtr p =
        xmpp::parse_stanza("<presence xmlns='jabber:client' from='" + std::string(full) + "'/>");
    const Jid from = jid(full);
    host_->run_presence_broadcast(PresenceBroadcast{*p, from, change});
  }
  // Juliet's queue holds one message, `body`, delivered to her phone at login: the stanza sent.
  StanzaPtr deliver_one_queued(std::string_view body) {
    undeliverable(body);
    services_->settle();
    presence("juliet@example.com/phone", PresenceChange::Initial);
    auto sent = services_->take_sent();
    EXPECT_EQ(sent.size(), 1U);
    return sent.empty() ? nullptr : std::move(sent.front().second);
  }
  // As ternctl deluser would, behind the module's back: the queue goes, and a new one counts
  // from 1 again (a millisecond later, so that its messages have other stamps).
  void delete_queue_behind_the_modules_back() {
    ASSERT_TRUE(
        env_->write([&](WriteTxn& txn) { return queue().remove_all(txn, "juliet@example.com"); })
            .ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The bodies sent to `full`, in order.
  std::vector<std::string> bodies_sent_to(std::string_view full) {
    std::vector<std::string> bodies;
    for (auto& [to, stanza] : services_->take_sent()) {
      if (to == full) {
        bodies.emplace_back(stanza->root().child_text("body", xmpp::ns::kClient));
      }
    }
    return bodies;
  }

  std::unique_ptr<testing::ModuleHarness> harness_;
  testing::FakeServices* services_ = nullptr;
  storage::Environment* env_ = nullptr;
  core::ModuleHost* host_ = nullptr;
  // The module's queue store, as the module opens it.
  modules::offline::OfflineStore queue() {
    return modules::offline::OfflineStore(
        env_->open_store("offline", StoreScope::PerAccount).value());
  }
};

TEST_F(OfflineTest, StoredMessagesGoToTheFirstAvailableSessionOldestFirst) {
  undeliverable("first");
  undeliverable("second");
  services_->settle();
  EXPECT_TRUE(bodies_sent_to("juliet@example.com/phone").empty());
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"),
            (std::vector<std::string>{"first", "second"}));
}

// The commit of "second" completes after Juliet's initial presence read the queue, which held it
// already: the completion must not send the queue again.
TEST_F(OfflineTest, ACommitCompletingAfterInitialPresenceDoesNotDeliverTwice) {
  undeliverable("first");
  undeliverable("second");
  services_->commit_next();
  services_->run_completion();  // "first" is in, Juliet is offline: nothing sent
  services_->commit_next();     // "second" is in, its completion still pending
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"),
            (std::vector<std::string>{"first", "second"}));
  services_->run_completion();
  EXPECT_TRUE(bodies_sent_to("juliet@example.com/phone").empty());
}

// ... but a message committed after that read is still delivered by its completion, once.
TEST_F(OfflineTest, ACommitAfterInitialPresenceDeliversOnlyTheNewMessage) {
  undeliverable("first");
  services_->commit_next();
  services_->run_completion();
  undeliverable("second");  // stored, not committed yet
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), (std::vector<std::string>{"first"}));
  services_->commit_next();
  services_->run_completion();
  // It follows the slice that carried "first", once that one has reported back.
  services_->run_posted();
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), (std::vector<std::string>{"second"}));
}

// Nothing was acknowledged (no receipt reported delivery): the next session of the same
// resource gets everything again.
TEST_F(OfflineTest, UnacknowledgedMessagesGoAgainToTheNextSession) {
  undeliverable("first");
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), (std::vector<std::string>{"first"}));
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), (std::vector<std::string>{"first"}));
}

// A long queue goes in slices of 100: the next slice only once every message of the one before
// has reported back (here: given up on, as the fake session drops them), on a later turn of the
// worker's loop; a message committed meanwhile waits for its turn instead of jumping the queue.
TEST_F(OfflineTest, ALongQueueGoesInSlicesThatWaitForTheOneBefore) {
  for (int i = 0; i < 250; ++i) {
    undeliverable(std::to_string(i));
  }
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  std::vector<std::string> all;
  auto first = services_->take_sent();  // still held: the slice is on its way
  ASSERT_EQ(first.size(), 100U);
  undeliverable("late");
  services_->settle();  // committed while the first slice is out: not sent on its own
  services_->run_posted();
  EXPECT_TRUE(services_->take_sent().empty());
  all.reserve(all.size() + first.size());
  for (auto& [to, stanza] : first) {
    all.emplace_back(stanza->root().child_text("body", xmpp::ns::kClient));
  }
  first.clear();  // the session let go of them: the next slice may go, once the loop turns
  EXPECT_TRUE(services_->take_sent().empty());
  services_->run_posted();
  for (std::vector<std::string> bodies = bodies_sent_to("juliet@example.com/phone");
       !bodies.empty(); bodies = bodies_sent_to("juliet@example.com/phone")) {
    EXPECT_LE(bodies.size(), 100U);
    all.insert(all.end(), bodies.begin(), bodies.end());
    services_->run_posted();
  }
  ASSERT_EQ(all.size(), 251U);
  for (int i = 0; i < 250; ++i) {
    EXPECT_EQ(all[static_cast<std::size_t>(i)], std::to_string(i));
  }
  EXPECT_EQ(all.back(), "late");
}

// A message written ahead for a live delivery sits in the queue until acknowledged, but the
// session has it already: the slices of a long queue being drained must not send it again.
TEST_F(OfflineTest, SlicesSendOnlyWhatTheSessionIsDue) {
  for (int i = 0; i < 150; ++i) {
    undeliverable(std::to_string(i));
  }
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone").size(), 100U);
  // What write_ahead commits for a message delivered live meanwhile.
  ASSERT_TRUE(env_->write([this](storage::WriteTxn& txn) -> Result<void, storage::StorageError> {
                    auto pushed = queue().push(
                        txn, "juliet@example.com", 0,
                        "<message xmlns='jabber:client'><body>live</body></message>", 10000);
                    return pushed ? Result<void, storage::StorageError>{} : Err(pushed.error());
                  })
                  .ok());
  services_->run_posted();
  std::vector<std::string> rest = bodies_sent_to("juliet@example.com/phone");
  ASSERT_EQ(rest.size(), 50U);
  EXPECT_EQ(rest.front(), "100");
  EXPECT_EQ(rest.back(), "149");
  services_->run_posted();
  EXPECT_TRUE(bodies_sent_to("juliet@example.com/phone").empty());
}

// A removal that fails (a full disk) is not lost: the message is not delivered again while the
// removal waits, and the removal is submitted again once a write commits.
TEST_F(OfflineTest, AFailedRemovalIsRetriedAndItsMessageNotDeliveredAgain) {
  undeliverable("first");
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  auto sent = services_->take_sent();
  ASSERT_EQ(sent.size(), 1U);
  sent.front().second->receipt()->delivered();  // the client has it: removal submitted
  services_->failing_commits = 1;
  services_->settle();  // ... and it fails
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_TRUE(bodies_sent_to("juliet@example.com/phone").empty());  // not again
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  undeliverable("second");  // commits: the removal goes again
  services_->settle();
  auto txn = env_->read();
  ASSERT_TRUE(txn);
  auto queued = queue().read(*txn, "juliet@example.com");
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_NE(queued.front().xml.find("second"), std::string::npos);
}

// A removal kept for a retry dies with the account: a new account of the same name gets a new
// queue numbered from 1 again, which the old removal would otherwise hit.
TEST_F(OfflineTest, ADeletedAccountsPendingRemovalNeverHitsTheNewQueue) {
  host_->create_account("juliet@example.com", "pw", [](StoreStatus, AccountChange) {});
  services_->settle();
  undeliverable("old");
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  auto sent = services_->take_sent();
  ASSERT_EQ(sent.size(), 1U);
  sent.front().second->receipt()->delivered();
  services_->failing_commits = 1;
  services_->settle();  // the removal of message 1 fails: kept for a retry
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  bool deleted = false;
  host_->delete_account("juliet@example.com", [&](StoreStatus status) { deleted = status; });
  services_->settle();
  ASSERT_TRUE(deleted);
  host_->create_account("juliet@example.com", "pw", [](StoreStatus, AccountChange) {});
  undeliverable("new");  // message 1 of the new queue; its commit retries the kept removals
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), std::vector<std::string>{"new"});
}

// The same when the account is deleted behind the module's back (ternctl deluser, another process,
// raises no event): the kept removal, retried, finds another message under the same number and
// leaves it, since that one was queued at another time.
TEST_F(OfflineTest, ARetriedRemovalLeavesAnotherMessageUnderTheSameNumber) {
  StanzaPtr old = deliver_one_queued("old");
  ASSERT_NE(old, nullptr);
  old->receipt()->delivered();
  services_->failing_commits = 1;
  services_->settle();  // the removal of message 1 fails: kept for a retry
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  delete_queue_behind_the_modules_back();
  undeliverable("new");  // message 1 of the new queue; its commit retries the kept removal
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), std::vector<std::string>{"new"});
}

// An acknowledgement can come long after the delivery (a session waiting to be resumed): if the
// queue was deleted behind the module's back and a new message took the same number meanwhile,
// the late removal leaves the new message.
TEST_F(OfflineTest, ALateAcknowledgementLeavesAnotherMessageUnderTheSameNumber) {
  StanzaPtr old = deliver_one_queued("old");
  ASSERT_NE(old, nullptr);
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  delete_queue_behind_the_modules_back();
  undeliverable("new");  // message 1 of the new queue
  services_->settle();
  old->receipt()->delivered();  // the old message's ack, late
  services_->settle();
  auto txn = env_->read();
  ASSERT_TRUE(txn);
  auto queued = queue().read(*txn, "juliet@example.com");
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_NE(queued.front().xml.find("new"), std::string::npos);
}

// [modules.offline] max_pending_removals bounds the failed removals kept for a retry: at 2, the
// third failed removal is forgotten, and only its message is delivered again at the next login.
TEST_F(OfflineTest, FailedRemovalsPastTheLimitAreForgottenAndDeliveredAgain) {
  restart({{"offline", {{"max_pending_removals", ModuleOptions::Value{std::int64_t{2}, "test"}}}}});
  for (const char* body : {"one", "two", "three"}) {
    undeliverable(body);
  }
  services_->settle();
  presence("juliet@example.com/phone", PresenceChange::Initial);
  auto sent = services_->take_sent();
  ASSERT_EQ(sent.size(), 3U);
  for (auto& [to, stanza] : sent) {
    stanza->receipt()->delivered();  // three removals submitted
  }
  services_->failing_commits = 3;
  services_->settle();  // ... and they fail: two kept, the third forgotten
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  presence("juliet@example.com/phone", PresenceChange::Initial);
  EXPECT_EQ(bodies_sent_to("juliet@example.com/phone"), std::vector<std::string>{"three"});
  presence("juliet@example.com/phone", PresenceChange::Unavailable);
  undeliverable("four");  // commits: the two kept removals go again (and leave none behind)
  services_->settle();
  auto txn = env_->read();
  ASSERT_TRUE(txn);
  EXPECT_EQ(queue().count(*txn, "juliet@example.com"), 2U);  // three, four
}

// While the store is short of room ([storage] min_room), a message for an offline account is
// refused at once with resource-constraint, without a write.
TEST_F(OfflineTest, ShortOfRoomRefusesOfflineStorageAtOnce) {
  services_->short_of_room = true;
  undeliverable("refused");
  services_->settle();
  std::vector<StanzaPtr> routed = services_->take_routed();
  ASSERT_EQ(routed.size(), 1U);
  const xmpp::Element& error = routed.front()->root();
  EXPECT_EQ(error.attr("type"), "error");
  EXPECT_EQ(error.attr("to"), "romeo@example.com/home");
  EXPECT_NE(error.child("error", xmpp::ns::kClient)
                ->child("resource-constraint", xmpp::ns::kStanzaErrors),
            nullptr);
  auto txn = env_->read();
  ASSERT_TRUE(txn);
  EXPECT_EQ(queue().count(*txn, "juliet@example.com"), 0U);
}

}  // namespace
}  // namespace tern
