// SPDX-License-Identifier: MIT
// The blocking module (XEP-0191) on the module harness, over a real store: a block is stored and
// enforced by the module's hooks, pushed to the resources that asked for the blocklist, and an
// unblock lifts it.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/modules/module_harness.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kJuliet = "juliet@example.com/balcony";

class BlockingModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness.services().connect(kJuliet, true);
    harness.services().connect("juliet@example.com/phone", true);
  }
  // A message from `from` to Juliet, through the inbound hooks as the router runs them.
  Verdict message_from(std::string_view from) {
    xmpp::StanzaPtr message = xmpp::testing::parse_one("<message from='" + std::string(from) +
                                                       "' to='juliet@example.com' type='chat'>"
                                                       "<body>hi</body></message>");
    return harness.host().run_inbound(message);
  }
  std::string type_of(const xmpp::StanzaPtr& reply) {
    return reply ? std::string(reply->type()) : "(no reply)";
  }

  testing::ModuleHarness harness{{"blocking"}};
};

TEST_F(BlockingModuleTest, ABlockIsStoredEnforcedPushedAndLifted) {
  // The phone asks for the blocklist: from now on it gets pushes; the balcony does not.
  auto list = harness.iq("<iq type='get' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
                         "juliet@example.com/phone");
  ASSERT_EQ(type_of(list), "result");
  EXPECT_EQ(message_from("romeo@example.com/garden"), Verdict::Continue);

  auto block = harness.iq(
      "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
      "<item jid='romeo@example.com'/></block></iq>",
      kJuliet);
  ASSERT_EQ(type_of(block), "result");
  auto sent = harness.services().take_sent();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent.front().first, "juliet@example.com/phone");
  EXPECT_NE(sent.front().second->root().child("block", "urn:xmpp:blocking"), nullptr);

  // Stored: the hook now stops Romeo's message and answers it service-unavailable.
  EXPECT_EQ(message_from("romeo@example.com/garden"), Verdict::Handled);
  auto routed = harness.services().take_routed();
  ASSERT_EQ(routed.size(), 1U);
  EXPECT_EQ(routed.front()->type(), "error");
  EXPECT_EQ(message_from("mercutio@example.com/street"), Verdict::Continue);

  // And it survives the module's restart: it is in the store, not in the instance.
  harness.restart({"blocking"});
  EXPECT_EQ(message_from("romeo@example.com/garden"), Verdict::Handled);

  auto unblock = harness.iq(
      "<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'>"
      "<item jid='romeo@example.com'/></unblock></iq>",
      kJuliet);
  ASSERT_EQ(type_of(unblock), "result");
  EXPECT_EQ(message_from("romeo@example.com/garden"), Verdict::Continue);
}

// A full disk: the block is refused with an error and nothing is enforced.
TEST_F(BlockingModuleTest, ABlockThatCannotBeStoredIsAnError) {
  harness.services().failing_commits = 1;
  auto block = harness.iq(
      "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
      "<item jid='romeo@example.com'/></block></iq>",
      kJuliet);
  ASSERT_EQ(type_of(block), "error");
  EXPECT_EQ(message_from("romeo@example.com/garden"), Verdict::Continue);
}

}  // namespace
}  // namespace tern::modules
