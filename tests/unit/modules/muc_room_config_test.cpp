// SPDX-License-Identifier: MIT
// A room's configuration as pure functions: the muc#roomconfig form written and read back,
// invalid values refused with nothing changed, fields the form does not offer ignored (XEP-0004
// §3.1), features and the record round trip; and the history a newcomer asks for (§7.2.13-14).
#include <gtest/gtest.h>

#include "modules/muc/history.h"
#include "modules/muc/room_config.h"
#include "xmpp/data_form.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {
namespace {

const ConfigLimits kLimits{500, 50};

xmpp::SubmittedForm form(const std::vector<std::pair<std::string, std::string>>& fields) {
  xmpp::SubmittedForm f;
  f.type = "submit";
  f.form_type = std::string(kRoomConfigForm);
  for (const auto& [var, value] : fields) {
    f.fields["muc#roomconfig_" + var] = {value};
  }
  return f;
}

TEST(MucRoomConfig, FormOffersEveryFieldWithCurrentValues) {
  RoomConfig config;
  config.name = "Balcony";
  xmpp::StanzaPtr holder = xmpp::Stanza::create("query", xmpp::ns::kMucOwner);
  config.write_form(holder->root(), kLimits);
  auto read = xmpp::read_form(*holder->root().child("x", xmpp::ns::kDataForms));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->form_type, kRoomConfigForm);
  EXPECT_EQ(read->value("muc#roomconfig_roomname"), "Balcony");
  EXPECT_EQ(read->value("muc#roomconfig_maxusers"), "500");
  EXPECT_EQ(read->value("muc#roomconfig_whois"), "moderators");
  // The form as the owner got it, submitted unchanged, changes nothing.
  RoomConfig again = config;
  read->type = "submit";
  EXPECT_EQ(again.apply(*read, kLimits), std::nullopt);
  EXPECT_EQ(again.encode(), config.encode());
}

TEST(MucRoomConfig, AppliesValidValues) {
  RoomConfig config;
  EXPECT_EQ(config.apply(form({{"persistentroom", "true"},
                               {"membersonly", "1"},
                               {"whois", "anyone"},
                               {"maxusers", "20"},
                               {"allowpm", "none"},
                               {"historylength", "5"},
                               {"passwordprotectedroom", "1"},
                               {"roomsecret", "pw"}}),
                         kLimits),
            std::nullopt);
  EXPECT_TRUE(config.persistent);
  EXPECT_TRUE(config.members_only);
  EXPECT_TRUE(config.non_anonymous());
  EXPECT_EQ(config.occupant_limit(kLimits), 20);
  EXPECT_EQ(config.allow_pm, AllowPm::None);
  EXPECT_EQ(config.history_length, 5);
  EXPECT_EQ(config.password, "pw");
}

TEST(MucRoomConfig, RefusesBadValuesAndChangesNothing) {
  RoomConfig config;
  std::string before = config.encode();
  for (auto fields : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"persistentroom", "yes"}},
           {{"maxusers", "501"}},  // over the service's limit
           {{"maxusers", "-1"}},
           {{"whois", "everybody"}},
           {{"historylength", "51"}},
           {{"allowpm", "friends"}},
           {{"roomname", "ok"}, {"passwordprotectedroom", "1"}},  // no password given
       }) {
    EXPECT_TRUE(config.apply(form(fields), kLimits).has_value()) << fields.front().first;
    EXPECT_EQ(config.encode(), before);
  }
  // A form of another FORM_TYPE.
  xmpp::SubmittedForm other = form({{"roomname", "x"}});
  other.form_type = "urn:example:other";
  EXPECT_TRUE(config.apply(other, kLimits).has_value());
}

TEST(MucRoomConfig, ASecretAloneProtectsTheRoom) {
  RoomConfig config;
  EXPECT_EQ(config.apply(form({{"roomsecret", "pw"}}), kLimits), std::nullopt);
  EXPECT_TRUE(config.password_protected);
  auto features = config.features();
  EXPECT_NE(std::find(features.begin(), features.end(), "muc_passwordprotected"), features.end());
  // Saying it is not protected drops the secret.
  EXPECT_EQ(config.apply(form({{"passwordprotectedroom", "0"}}), kLimits), std::nullopt);
  EXPECT_FALSE(config.password_protected);
  EXPECT_EQ(config.password, "");
}

TEST(MucRoomConfig, IgnoresFieldsTheFormDoesNotOffer) {
  RoomConfig config;
  EXPECT_EQ(config.apply(form({{"presencebroadcast", "moderator"}, {"roomname", "Kept"}}), kLimits),
            std::nullopt);
  EXPECT_EQ(config.name, "Kept");
}

TEST(MucRoomConfig, FeaturesFollowTheConfiguration) {
  RoomConfig config;
  auto features = config.features();
  for (std::string_view f : {"muc_public", "muc_temporary", "muc_open", "muc_unmoderated",
                             "muc_semianonymous", "muc_unsecured"}) {
    EXPECT_NE(std::find(features.begin(), features.end(), f), features.end()) << f;
  }
  config.apply(form({{"publicroom", "0"},
                     {"persistentroom", "1"},
                     {"membersonly", "1"},
                     {"moderatedroom", "1"},
                     {"whois", "anyone"}}),
               kLimits);
  features = config.features();
  for (std::string_view f :
       {"muc_hidden", "muc_persistent", "muc_membersonly", "muc_moderated", "muc_nonanonymous"}) {
    EXPECT_NE(std::find(features.begin(), features.end(), f), features.end()) << f;
  }
}

TEST(MucRoomConfig, RecordRoundTrips) {
  RoomConfig config;
  config.apply(form({{"roomname", "Name"},
                     {"roomdesc", "Desc"},
                     {"moderatedroom", "1"},
                     {"allowpm", "moderators"},
                     {"maxusers", "30"}}),
               kLimits);
  auto back = RoomConfig::decode(config.encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->encode(), config.encode());
  EXPECT_EQ(back->name, "Name");
  EXPECT_EQ(back->allow_pm, AllowPm::Moderators);
  EXPECT_FALSE(RoomConfig::decode("\x02garbage"));
  EXPECT_FALSE(RoomConfig::decode(config.encode().substr(0, 5)));
}

xmpp::StanzaPtr message(std::string_view body) {
  xmpp::StanzaPtr m = xmpp::Stanza::create("message", xmpp::ns::kClient);
  m->root().add_child("body", xmpp::ns::kClient).set_text(body);
  return m;
}

std::vector<std::string> bodies(const std::vector<const HistoryEntry*>& picked) {
  std::vector<std::string> out;
  out.reserve(picked.size());
  for (const HistoryEntry* e : picked) {
    out.emplace_back(e->message->root().child_text("body", xmpp::ns::kClient));
  }
  return out;
}

TEST(MucHistory, KeepsTheNewestAndSelectsByEveryLimit) {
  History history;
  history.set_capacity(3);
  Clock::time_point t0 = Clock::now() - std::chrono::hours(1);
  for (int i = 0; i < 5; ++i) {
    history.add(message("m" + std::to_string(i)), t0 + std::chrono::minutes(i * 10));
  }
  Clock::time_point now = t0 + std::chrono::minutes(45);
  EXPECT_EQ(bodies(history.select({}, now)), (std::vector<std::string>{"m2", "m3", "m4"}));
  HistoryRequest two;
  two.max_stanzas = 2;
  EXPECT_EQ(bodies(history.select(two, now)), (std::vector<std::string>{"m3", "m4"}));
  HistoryRequest recent;
  recent.seconds = std::chrono::minutes(16);  // m3 (15 min old) and m4
  EXPECT_EQ(bodies(history.select(recent, now)), (std::vector<std::string>{"m3", "m4"}));
  HistoryRequest since;
  since.since = t0 + std::chrono::minutes(30);  // strictly after: m4 only
  EXPECT_EQ(bodies(history.select(since, now)), (std::vector<std::string>{"m4"}));
  HistoryRequest none;
  none.max_chars = 0;
  EXPECT_TRUE(history.select(none, now).empty());
  HistoryRequest one_fits;
  one_fits.max_chars = history.select({}, now).back()->chars;
  EXPECT_EQ(bodies(history.select(one_fits, now)), (std::vector<std::string>{"m4"}));
  history.set_capacity(0);
  EXPECT_EQ(history.size(), 0U);
}

TEST(MucHistory, ReadsTheHistoryElement) {
  xmpp::StanzaPtr h = xmpp::Stanza::create("history", xmpp::ns::kMuc);
  h->root()
      .set_attr("maxstanzas", "7")
      .set_attr("seconds", "x")
      .set_attr("since", "1970-01-01T00:00:10Z");
  HistoryRequest r = HistoryRequest::from(&h->root());
  EXPECT_EQ(r.max_stanzas, 7U);
  EXPECT_FALSE(r.seconds);  // not a number: as if absent
  ASSERT_TRUE(r.since);
  EXPECT_EQ(*r.since, Clock::time_point(std::chrono::seconds(10)));
  EXPECT_FALSE(HistoryRequest::from(nullptr).max_chars);
}

}  // namespace
}  // namespace tern::modules::muc
