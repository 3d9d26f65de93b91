// SPDX-License-Identifier: MIT
// The PEP node configuration as pure functions: XEP-0163 §5's defaults, forms applied with
// their values made canonical, publish-options compared by meaning (XEP-0060 §7.1.5), every
// registry field recognised and anything else refused, and the stored form read back.
#include <gtest/gtest.h>

#include "modules/pep/access.h"
#include "modules/pep/interests.h"
#include "modules/pep/node_config.h"
#include "tests/unit/xmpp/test_sink.h"

namespace tern::modules::pep {
namespace {

const ConfigLimits kLimits{256};

xmpp::SubmittedForm form(const std::vector<std::pair<std::string, std::string>>& fields) {
  xmpp::SubmittedForm f;
  f.type = "submit";
  f.form_type = std::string(kPublishOptionsForm);
  for (const auto& [var, value] : fields) {
    f.fields["pubsub#" + var] = {value};
  }
  return f;
}

TEST(PepNodeConfig, DefaultsAreXep0163s) {
  NodeConfig config;
  EXPECT_EQ(config.access_model(), AccessModel::Presence);
  EXPECT_EQ(config.max_items(kLimits), 1);
  EXPECT_TRUE(config.persist_items());
  EXPECT_TRUE(config.deliver_notifications());
  EXPECT_TRUE(config.deliver_payloads());
  EXPECT_EQ(config.send_last_published_item(), SendLastItem::OnSubscriptionAndPresence);
}

TEST(PepNodeConfig, PreconditionsCompareMeaningsNotSpellings) {
  NodeConfig config;
  ASSERT_EQ(config.apply(
                form({{"access_model", "open"}, {"max_items", "max"}, {"persist_items", "true"}}),
                kLimits),
            std::nullopt);
  EXPECT_EQ(config.access_model(), AccessModel::Open);
  EXPECT_EQ(config.max_items(kLimits), 256);  // "max": the server's limit
  EXPECT_EQ(
      config.unmet_precondition(form({{"persist_items", "1"}, {"max_items", "max"}}), kLimits),
      std::nullopt);
  // The default counts as set: a node never configured meets "presence".
  EXPECT_EQ(NodeConfig().unmet_precondition(form({{"access_model", "presence"}}), kLimits),
            std::nullopt);
  auto unmet = config.unmet_precondition(form({{"access_model", "whitelist"}}), kLimits);
  ASSERT_TRUE(unmet);
  EXPECT_NE(unmet->find("access_model"), std::string::npos);
  EXPECT_TRUE(config.unmet_precondition(form({{"max_items", "10"}}), kLimits));
}

TEST(PepNodeConfig, EveryRegistryFieldIsKnownAndNothingElse) {
  NodeConfig config;
  EXPECT_EQ(config.apply(form({{"title", "Bookmarks"},
                               {"notify_sub", "0"},
                               {"notification_type", "normal"},
                               {"item_expire", "604800"}}),
                         kLimits),
            std::nullopt);
  NodeConfig unchanged = config;
  EXPECT_TRUE(config.apply(form({{"no_such_field", "1"}}), kLimits));
  EXPECT_TRUE(config.apply(form({{"access_model", "authorize"}}), kLimits));  // not offered
  EXPECT_TRUE(config.apply(form({{"publish_model", "open"}}), kLimits));      // the owner only
  EXPECT_TRUE(config.apply(form({{"max_items", "257"}}), kLimits));
  EXPECT_TRUE(config.apply(form({{"max_items", "0"}}), kLimits));
  EXPECT_TRUE(config.apply(form({{"persist_items", "yes"}}), kLimits));
  // A refused form changes nothing, even in fields that were valid.
  EXPECT_TRUE(config.apply(form({{"title", "Other"}, {"persist_items", "yes"}}), kLimits));
  EXPECT_EQ(config, unchanged);
  EXPECT_TRUE(config.unmet_precondition(form({{"no_such_field", "1"}}), kLimits));
}

TEST(PepNodeConfig, TheStoredFormReadsBack) {
  NodeConfig config;
  xmpp::SubmittedForm f = form({{"access_model", "roster"}, {"title", "a:b\n5:c"}});
  f.fields["pubsub#roster_groups_allowed"] = {"Friends", "Family", "Friends"};
  ASSERT_EQ(config.apply(f, kLimits), std::nullopt);
  auto read = NodeConfig::parse(config.serialize());
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, config);
  EXPECT_EQ(read->roster_groups(), (std::vector<std::string>{"Family", "Friends"}));
  EXPECT_FALSE(NodeConfig::parse("5:abc"));  // cut short
  EXPECT_EQ(NodeConfig::parse(""), NodeConfig());
}

TEST(PepNodeConfig, TheConfigureFormListsEveryFieldWithItsValue) {
  xmpp::StanzaPtr holder = xmpp::Stanza::create("configure", xmpp::ns::kPubsubOwner);
  NodeConfig().write_form(holder->root(), kLimits);
  auto written = xmpp::read_form(*holder->root().first_child());
  ASSERT_TRUE(written);
  EXPECT_EQ(written->form_type, kNodeConfigForm);
  EXPECT_EQ(written->value("pubsub#access_model"), "presence");
  EXPECT_EQ(written->value("pubsub#max_items"), "1");
  EXPECT_GE(written->fields.size(), 30U);
}

// XEP-0060 §6.5.9 refusals, row by row.
TEST(PepAccess, EachModelDecidesAsTheSpecificationSays) {
  auto contact = [](roster::Subscription s, std::vector<std::string> groups = {}) {
    roster::RosterItem item;
    item.jid = "romeo@example.com";
    item.subscription = s;
    item.groups = std::move(groups);
    return std::optional<roster::RosterItem>(item);
  };
  auto with = [](std::string model, std::vector<std::string> groups = {}) {
    NodeConfig config;
    xmpp::SubmittedForm f;
    f.fields["pubsub#access_model"] = {std::move(model)};
    f.fields["pubsub#roster_groups_allowed"] = std::move(groups);
    EXPECT_EQ(config.apply(f, kLimits), std::nullopt);
    return config;
  };
  const std::optional<roster::RosterItem> stranger;
  using roster::Subscription;
  // The owner reads everything.
  EXPECT_EQ(access(with("whitelist"), true, stranger), Access::Allowed);
  EXPECT_EQ(access(with("open"), false, stranger), Access::Allowed);
  EXPECT_EQ(access(with("presence"), false, stranger), Access::PresenceSubscriptionRequired);
  EXPECT_EQ(access(with("presence"), false, contact(Subscription::To)),
            Access::PresenceSubscriptionRequired);  // she sees his, not he hers
  EXPECT_EQ(access(with("presence"), false, contact(Subscription::From)), Access::Allowed);
  EXPECT_EQ(access(with("presence"), false, contact(Subscription::Both)), Access::Allowed);
  EXPECT_EQ(access(with("roster", {"Friends"}), false, contact(Subscription::None, {"Work"})),
            Access::NotInRosterGroup);
  EXPECT_EQ(access(with("roster", {"Friends"}), false, contact(Subscription::None, {"Friends"})),
            Access::Allowed);
  EXPECT_EQ(access(with("roster", {"Friends"}), false, stranger), Access::NotInRosterGroup);
  EXPECT_EQ(access(with("whitelist"), false, contact(Subscription::Both)), Access::ClosedNode);

  EXPECT_EQ(access_error(Access::PresenceSubscriptionRequired).condition,
            xmpp::StanzaCondition::NotAuthorized);
  EXPECT_EQ(access_error(Access::PresenceSubscriptionRequired).application.name,
            "presence-subscription-required");
  EXPECT_EQ(access_error(Access::ClosedNode).condition, xmpp::StanzaCondition::NotAllowed);
  EXPECT_EQ(access_error(Access::ClosedNode).application.name, "closed-node");
}

// The caps queries in flight are bounded, and a client that never answers holds no place for
// long: past kQueryTimeout its query is dropped, and so is a query asked of a resource gone.
TEST(PepInterests, UnansweredQueriesExpireAndGoWithTheirResource) {
  Interests interests;
  const auto start = Interests::Clock::now();
  auto claim = [](std::size_t n) { return xmpp::CapsClaim{"sha-1", "urn:n", std::to_string(n)}; };
  for (std::size_t n = 0; n < Interests::kMaxQueries; ++n) {
    ASSERT_TRUE(interests.wait_for("u@example.com/" + std::to_string(n), claim(n), true, start));
  }
  EXPECT_TRUE(interests.full());
  EXPECT_FALSE(interests.wait_for("late@example.com/r", claim(5000), true, start));
  interests.forget("u@example.com/0");  // its session ended: its place is free
  EXPECT_TRUE(interests.wait_for("late@example.com/r", claim(5000), true, start));
  EXPECT_FALSE(interests.wait_for("later@example.com/r", claim(5001), true, start));
  // A same 'ver' waits on the query in flight, then is asked again once that one timed out.
  EXPECT_FALSE(interests.wait_for("v@example.com/r", claim(7), true, start));
  const auto later = start + Interests::kQueryTimeout;
  EXPECT_TRUE(interests.wait_for("v@example.com/r", claim(7), true, later));
  EXPECT_TRUE(interests.wait_for("later@example.com/r", claim(5001), true, later));  // expired
  EXPECT_FALSE(interests.full());
}

}  // namespace
}  // namespace tern::modules::pep
