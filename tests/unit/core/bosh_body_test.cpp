// SPDX-License-Identifier: MIT
// BOSH bodies (core/http/bosh_body.h): a request's attributes, its children rewritten for the
// framed c2s codec (unqualified stanzas become jabber:client, other namespaces stay declared),
// refusals of what is not one <body/>, and the bodies the server answers with.
#include "core/http/bosh_body.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::core::http {
namespace {

constexpr std::string_view kOpen = "<body xmlns='http://jabber.org/protocol/httpbind' ";

std::string body(std::string_view attributes, std::string_view children = {}) {
  std::string out(kOpen);
  out += attributes;
  if (children.empty()) {
    return out + "/>";
  }
  return out + ">" + std::string(children) + "</body>";
}

TEST(BoshBody, SessionCreationAttributes) {
  auto request = parse_bosh_request(
      "<?xml version='1.0' encoding='UTF-8'?>" +
          body("content='text/xml; charset=utf-8' hold='1' rid='1573741820' to='example.com' "
               "ver='1.6' wait='60' xml:lang='en' xmlns:xmpp='urn:xmpp:xbosh' "
               "xmpp:version='1.0'"),
      {});
  ASSERT_TRUE(request) << request.error();
  EXPECT_EQ(request->rid, 1573741820U);
  EXPECT_TRUE(request->sid.empty());
  EXPECT_EQ(request->to, "example.com");
  EXPECT_EQ(request->lang, "en");
  EXPECT_EQ(request->wait, 60U);
  EXPECT_EQ(request->hold, 1U);
  EXPECT_FALSE(request->terminate);
  EXPECT_FALSE(request->restart);
  EXPECT_TRUE(request->payloads.empty());
}

TEST(BoshBody, RestartAndTerminate) {
  auto restart = parse_bosh_request(
      body("rid='2' sid='s' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true' to='example.com'"), {});
  ASSERT_TRUE(restart);
  EXPECT_TRUE(restart->restart);
  EXPECT_EQ(restart->sid, "s");
  auto terminate = parse_bosh_request(body("rid='3' sid='s' type='terminate'"), {});
  ASSERT_TRUE(terminate);
  EXPECT_TRUE(terminate->terminate);
  // xmpp:restart in no namespace is not the XEP-0206 attribute.
  auto plain = parse_bosh_request(body("rid='4' sid='s' restart='true'"), {});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->restart);
}

TEST(BoshBody, ChildrenBecomeFramedElements) {
  auto request = parse_bosh_request(
      body("rid='5' sid='s' xmlns:stream='http://etherx.jabber.org/streams'",
           "<message to='a@example.com' type='chat'><body>x &amp; y</body></message>\n"
           "<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>"
           "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>"),
      {});
  ASSERT_TRUE(request) << request.error();
  ASSERT_EQ(request->payloads.size(), 3U);
  // In the body's namespace: no xmlns, so the framed codec reads it as jabber:client.
  EXPECT_EQ(request->payloads[0],
            "<message to='a@example.com' type='chat'><body>x &amp; y</body></message>");
  EXPECT_NE(request->payloads[1].find("xmlns='jabber:client'"), std::string::npos);
  EXPECT_NE(request->payloads[1].find("<ping xmlns='urn:xmpp:ping'/>"), std::string::npos);
  EXPECT_NE(request->payloads[2].find("xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"),
            std::string::npos);
}

TEST(BoshBody, WhatIsNotOneBodyIsRefused) {
  for (std::string_view text :
       {"", "not xml", "<body rid='1'/>", "<body xmlns='urn:other' rid='1'/>",
        "<body xmlns='http://jabber.org/protocol/httpbind'/>",
        "<body xmlns='http://jabber.org/protocol/httpbind' rid='-1'/>",
        "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' wait='soon'/>",
        "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>",
        "<!DOCTYPE body><body xmlns='http://jabber.org/protocol/httpbind' rid='1'/>",
        "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'/><body xmlns='x' rid='2'/>"}) {
    EXPECT_FALSE(parse_bosh_request(text, {})) << text;
  }
  xmpp::ParserLimits small;
  small.max_stanza_bytes = 100;
  EXPECT_FALSE(
      parse_bosh_request(body("rid='1'", std::string(200, ' ') + "<a xmlns='x'/>"), small));
}

TEST(BoshBody, ServerBodies) {
  BoshCreated created;
  created.sid = "abc";
  created.from = "example.com";
  created.authid = "id&1";
  created.hold = 1;
  created.secure = true;
  const std::string text = bosh_created_body(created, "<stream:features/>");
  EXPECT_NE(text.find("sid='abc'"), std::string::npos);
  EXPECT_NE(text.find("requests='2'"), std::string::npos);
  EXPECT_NE(text.find("authid='id&amp;1'"), std::string::npos);
  EXPECT_NE(text.find("xmpp:restartlogic='true'"), std::string::npos);
  EXPECT_NE(text.find("xmlns:stream='http://etherx.jabber.org/streams'"), std::string::npos);
  EXPECT_TRUE(text.ends_with("><stream:features/></body>"));
  EXPECT_TRUE(bosh_body({}).ends_with("/>"));
  EXPECT_NE(bosh_terminate_body("item-not-found").find("condition='item-not-found'"),
            std::string::npos);
  EXPECT_EQ(bosh_terminate_body({}).find("condition"), std::string::npos);
}

TEST(BoshBody, FramedMessagesAreRecognised) {
  const std::string_view open =
      "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='s&amp;1' from='example.com'/>";
  EXPECT_EQ(framed_element_name(open), "open");
  EXPECT_EQ(framed_open(open).id, "s&1");
  EXPECT_EQ(framed_open(open).from, "example.com");
  EXPECT_EQ(framed_element_name("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"), "close");
  EXPECT_EQ(framed_element_name("<stream:features xmlns:stream='x'>"), "stream:features");
  EXPECT_EQ(framed_element_name("<message>"), "message");
  EXPECT_EQ(framed_element_name("garbage"), "");
  EXPECT_EQ(framed_open("<open").id, "");
}

}  // namespace
}  // namespace tern::core::http
