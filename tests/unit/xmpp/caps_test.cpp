// SPDX-License-Identifier: MIT
// XEP-0115 verification strings and hashes against the specification's own examples (§5.2,
// §5.3), and the answers §5.4 says not to trust.
#include "xmpp/caps.h"

#include <gtest/gtest.h>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/data_form.h"

namespace tern::xmpp {
namespace {

constexpr std::string_view kSimple =
    "<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info'>"
    "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/></query></iq>";

constexpr std::string_view kComplex =
    "<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info'>"
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
    "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
    "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
    "<field var='os'><value>Mac</value></field>"
    "<field var='os_version'><value>10.5.1</value></field>"
    "<field var='software'><value>Psi</value></field>"
    "<field var='software_version'><value>0.11</value></field></x></query></iq>";

std::optional<std::string> ver_of(std::string_view iq) {
  StanzaPtr stanza = testing::parse_one(iq);
  auto s = caps_verification_string(*stanza->root().first_child());
  return s ? caps_hash("sha-1", *s) : std::nullopt;
}

TEST(Caps, TheSimpleExampleOfSection5_2) {
  StanzaPtr stanza = testing::parse_one(kSimple);
  EXPECT_EQ(caps_verification_string(*stanza->root().first_child()),
            "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<"
            "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<"
            "http://jabber.org/protocol/muc<");
  EXPECT_EQ(ver_of(kSimple), "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

TEST(Caps, TheComplexExampleOfSection5_3WithLanguagesAndAForm) {
  EXPECT_EQ(ver_of(kComplex), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST(Caps, AnswersSection5_4DistrustsHaveNoVerificationString) {
  std::string twice_feature(kSimple);
  twice_feature.replace(twice_feature.find("</query>"), 0,
                        "<feature var='http://jabber.org/protocol/muc'/>");
  EXPECT_EQ(ver_of(twice_feature), std::nullopt);
  std::string visible_form_type(kComplex);
  visible_form_type.replace(visible_form_type.find(" type='hidden'"), 14, "");
  EXPECT_EQ(ver_of(visible_form_type), std::nullopt);
}

TEST(Caps, TheClaimInAPresence) {
  StanzaPtr p = testing::parse_one(
      "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
      "node='https://conversations.im' ver='abc='/></presence>");
  auto claim = caps_claim(p->root());
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->ver, "abc=");
  StanzaPtr legacy = testing::parse_one(
      "<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver='1.0'/></presence>");
  EXPECT_FALSE(caps_claim(legacy->root()));  // §8.4: no hash, nothing to verify
  EXPECT_EQ(caps_hash("md5", "x"), std::nullopt);
}

TEST(DataForm, ReadsFieldsAndRefusesBrokenForms) {
  StanzaPtr iq = testing::parse_one(
      "<iq type='set' id='1'><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE' type='hidden'><value>urn:t</value></field>"
      "<field var='a'><value>1</value></field><field var='m'><value>x</value><value>y</value>"
      "</field><field var='empty'/></x></iq>");
  auto form = read_form(*iq->root().first_child());
  ASSERT_TRUE(form);
  EXPECT_EQ(form->type, "submit");
  EXPECT_EQ(form->form_type, "urn:t");
  EXPECT_EQ(form->value("a"), "1");
  EXPECT_EQ(form->fields.at("m"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(form->value("empty"), std::nullopt);
  EXPECT_EQ(form->value("absent"), std::nullopt);
  StanzaPtr twice = testing::parse_one(
      "<iq type='set' id='1'><x xmlns='jabber:x:data' type='submit'><field var='a'/>"
      "<field var='a'/></x></iq>");
  EXPECT_FALSE(read_form(*twice->root().first_child()));
  StanzaPtr no_var = testing::parse_one(
      "<iq type='set' id='1'><x xmlns='jabber:x:data' type='submit'><field/></x></iq>");
  EXPECT_FALSE(read_form(*no_var->root().first_child()));
  EXPECT_EQ(form_boolean("true"), true);
  EXPECT_EQ(form_boolean("0"), false);
  EXPECT_EQ(form_boolean("yes"), std::nullopt);
}

}  // namespace
}  // namespace tern::xmpp
