// SPDX-License-Identifier: MIT
// The vcard module on the module harness: the account's own vCard stored and read by others,
// the photo's SHA-1 (folded base64 too) stamped into available presence that says nothing of an
// avatar, and left alone where the client spoke for itself.
#include <gtest/gtest.h>

#include "modules/vcard/avatar_hash.h"
#include "tests/unit/modules/module_harness.h"
#include "xmpp/serializer.h"
#include "xmpp/stanza_error.h"

namespace tern::modules {
namespace {

constexpr std::string_view kJuliet = "juliet@example.com/phone";

// SHA-1 of "abc" (FIPS 180 example), base64 "YWJj".
constexpr std::string_view kAbcSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";

std::string set_vcard(std::string_view inner) {
  return "<iq type='set' id='v'><vCard xmlns='vcard-temp'>" + std::string(inner) + "</vCard></iq>";
}

TEST(AvatarHash, ThePhotoHashIgnoresFoldingAndRefusesBadBase64) {
  auto hash_of = [](std::string_view inner) {
    xmpp::StanzaPtr iq = xmpp::testing::parse_one(set_vcard(inner));
    return vcard::photo_hash(*iq->root().first_child());
  };
  EXPECT_EQ(hash_of("<PHOTO><TYPE>image/png</TYPE><BINVAL>YW\n Jj</BINVAL></PHOTO>"), kAbcSha1);
  EXPECT_EQ(hash_of("<NICKNAME>J</NICKNAME>"), "");  // no photo
  EXPECT_EQ(hash_of("<PHOTO><BINVAL>%%%</BINVAL></PHOTO>"), std::nullopt);
}

class VCardModuleTest : public ::testing::Test {
 protected:
  testing::ModuleHarness harness{{"vcard"}};
};

TEST_F(VCardModuleTest, OwnVcardStoredAndReadByOthers) {
  ASSERT_EQ(harness.iq(set_vcard("<NICKNAME>Jules</NICKNAME>"), kJuliet)->type(), "result");
  xmpp::StanzaPtr got =
      harness.iq("<iq type='get' id='g' to='juliet@example.com'><vCard xmlns='vcard-temp'/></iq>",
                 "romeo@example.com/garden");
  ASSERT_EQ(got->type(), "result");
  EXPECT_EQ(got->root().child("vCard", "vcard-temp")->child_text("NICKNAME"), "Jules");
  xmpp::StanzaPtr forbidden = harness.iq(
      "<iq type='set' id='s' to='juliet@example.com'><vCard xmlns='vcard-temp'>"
      "<NICKNAME>X</NICKNAME></vCard></iq>",
      "romeo@example.com/garden");
  EXPECT_EQ(xmpp::StanzaError::from_stanza(forbidden->root())->condition,
            xmpp::StanzaCondition::Forbidden);
  xmpp::StanzaPtr none = harness.iq(
      "<iq type='get' id='g' to='romeo@example.com'><vCard xmlns='vcard-temp'/></iq>", kJuliet);
  EXPECT_EQ(xmpp::StanzaError::from_stanza(none->root())->condition,
            xmpp::StanzaCondition::ServiceUnavailable);
}

TEST_F(VCardModuleTest, AvailablePresenceGetsThePhotoHashUnlessTheClientGaveOne) {
  auto delivered = [&](std::string_view presence) {
    xmpp::StanzaPtr p = xmpp::testing::parse_one(presence);
    harness.host().run_inbound(p);
    return xmpp::to_xml(p->root());
  };
  constexpr std::string_view kPlain =
      "<presence from='juliet@example.com/phone' to='romeo@example.com'/>";
  EXPECT_EQ(delivered(kPlain).find("vcard-temp:x:update"), std::string::npos);  // no vCard yet
  ASSERT_EQ(harness.iq(set_vcard("<PHOTO><BINVAL>YWJj</BINVAL></PHOTO>"), kJuliet)->type(),
            "result");
  EXPECT_NE(delivered(kPlain).find(std::string("<photo>") + std::string(kAbcSha1) + "</photo>"),
            std::string::npos);
  // The client's own word stands, even "not ready" (§4.2), and unavailable carries nothing.
  std::string own = delivered(
      "<presence from='juliet@example.com/phone' to='romeo@example.com'><x "
      "xmlns='vcard-temp:x:update'/></presence>");
  EXPECT_EQ(own.find("<photo"), std::string::npos);
  EXPECT_EQ(delivered("<presence from='juliet@example.com/phone' to='romeo@example.com' "
                      "type='unavailable'/>")
                .find("x:update"),
            std::string::npos);
}

// XEP-0398 with the pep module: the PEP avatar shows in the vCard and in presence, and a vCard
// photo becomes the PEP avatar.
class AvatarConversionTest : public ::testing::Test {
 protected:
  std::string publish(std::string_view node, std::string_view id, std::string_view payload) {
    xmpp::StanzaPtr reply = harness.iq(
        "<iq type='set' id='p'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" +
            std::string(node) + "'><item id='" + std::string(id) + "'>" + std::string(payload) +
            "</item></publish></pubsub></iq>",
        kJuliet);
    return reply ? std::string(reply->type()) : "(no reply)";
  }
  testing::ModuleHarness harness{{"vcard", "pep", "roster"}};
};

TEST_F(AvatarConversionTest, APepAvatarIsTheVcardPhotoAndThePresenceHash) {
  ASSERT_EQ(
      publish("urn:xmpp:avatar:data", kAbcSha1, "<data xmlns='urn:xmpp:avatar:data'>YWJj</data>"),
      "result");
  ASSERT_EQ(publish("urn:xmpp:avatar:metadata", kAbcSha1,
                    "<metadata xmlns='urn:xmpp:avatar:metadata'><info id='" +
                        std::string(kAbcSha1) + "' bytes='3' type='image/png'/></metadata>"),
            "result");
  xmpp::StanzaPtr got =
      harness.iq("<iq type='get' id='g' to='juliet@example.com'><vCard xmlns='vcard-temp'/></iq>",
                 "romeo@example.com/garden");
  ASSERT_EQ(got->type(), "result");  // no vCard stored, but an avatar to show
  const xmpp::Element* photo = got->root().child("vCard", "vcard-temp")->child("PHOTO");
  ASSERT_NE(photo, nullptr);
  EXPECT_EQ(photo->child_text("BINVAL"), "YWJj");
  EXPECT_EQ(photo->child_text("TYPE"), "image/png");
  xmpp::StanzaPtr p = xmpp::testing::parse_one(
      "<presence from='juliet@example.com/phone' to='romeo@example.com'/>");
  harness.host().run_inbound(p);
  EXPECT_NE(xmpp::to_xml(p->root()).find(std::string(kAbcSha1)), std::string::npos);
}

TEST_F(AvatarConversionTest, AVcardPhotoBecomesThePepAvatar) {
  ASSERT_EQ(
      harness.iq(set_vcard("<PHOTO><TYPE>image/jpeg</TYPE><BINVAL>YWJj</BINVAL></PHOTO>"), kJuliet)
          ->type(),
      "result");
  harness.services().settle();  // the two PEP writes that follow the vCard's
  auto items = [&](std::string_view node) {
    xmpp::StanzaPtr reply = harness.iq(
        "<iq type='get' id='i'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
        "<items node='" +
            std::string(node) + "'/></pubsub></iq>",
        kJuliet);
    return xmpp::to_xml(reply->root());
  };
  std::string data = items("urn:xmpp:avatar:data");
  EXPECT_NE(data.find("<item id='" + std::string(kAbcSha1) +
                      "'><data xmlns='urn:xmpp:avatar:data'>YWJj</data>"),
            std::string::npos)
      << data;
  std::string metadata = items("urn:xmpp:avatar:metadata");
  EXPECT_NE(metadata.find("bytes='3' type='image/jpeg'"), std::string::npos) << metadata;
}

}  // namespace
}  // namespace tern::modules
