// SPDX-License-Identifier: MIT
#include "xmpp/element.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/xmpp/test_sink.h"
#include "xmpp/namespaces.h"
#include "xmpp/stanza.h"

namespace tern::xmpp {
namespace {

TEST(Element, BuildsWithInheritedAndExplicitNamespaces) {
  StanzaPtr s = Stanza::create("iq", ns::kClient);
  Element& iq = s->root();
  iq.set_attr("type", "get").set_attr("id", "q1");
  Element& query = iq.add_child("query", ns::kRoster);
  Element& item = query.add_child("item");
  EXPECT_EQ(query.ns(), ns::kRoster);
  EXPECT_EQ(item.ns(), ns::kRoster);  // inherits the parent's namespace
  EXPECT_EQ(item.parent(), &query);
  EXPECT_EQ(iq.child("query", ns::kRoster), &query);
  EXPECT_EQ(iq.child("query"), nullptr);  // defaults to the parent's namespace
  EXPECT_EQ(s->kind(), StanzaKind::Iq);
  EXPECT_EQ(s->type(), "get");
  EXPECT_EQ(s->id(), "q1");
}

TEST(Element, SetReplacesAndRemoveDeletesAttributes) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  Element& m = s->root();
  m.set_attr("from", "mallory@evil.example");
  m.set_attr("to", "juliet@example.com");
  std::string stamped = "romeo@example.net/orchard";
  m.set_attr("from", stamped);  // the server stamps from
  stamped.clear();
  EXPECT_EQ(m.attr("from"), "romeo@example.net/orchard");
  EXPECT_EQ(m.attrs().size(), 2U);
  EXPECT_TRUE(m.remove_attr("to"));
  EXPECT_FALSE(m.remove_attr("to"));
  EXPECT_FALSE(m.has_attr("to"));
  EXPECT_EQ(m.attr("to"), "");
  m.set_attr("lang", ns::kXml, "en");
  EXPECT_EQ(m.attr("lang", ns::kXml), "en");
  EXPECT_EQ(m.attr("lang"), "");  // unqualified lang is a different attribute
}

TEST(Element, ManyAttributesGrowStorage) {
  StanzaPtr s = Stanza::create("x", "urn:test");
  for (int i = 0; i < 50; ++i) {
    s->root().set_attr("a" + std::to_string(i), std::to_string(i));
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(s->root().attr("a" + std::to_string(i)), std::to_string(i));
  }
}

TEST(Element, TextAccessAndReplacement) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  Element& body = s->root().add_child("body");
  body.add_text("Hello, ").add_text("world");
  EXPECT_EQ(body.text(), "Hello, world");
  EXPECT_EQ(s->root().child_text("body"), "Hello, world");
  body.set_text("replaced");
  EXPECT_EQ(body.text(), "replaced");
  EXPECT_EQ(s->root().child_text("subject"), "");
}

TEST(Element, IteratesOnlyElementChildrenAndRemoves) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  Element& m = s->root();
  m.add_text("ws");
  Element& a = m.add_child("a");
  m.add_text("between");
  Element& b = m.add_child("b");
  Element& c = m.add_child("c");
  std::vector<std::string_view> names;
  for (const Element& child : m.children()) {
    names.push_back(child.name());
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(m.child_element_count(), 3U);
  EXPECT_EQ(m.first_child(), &a);
  m.remove_child(&b);
  m.remove_child(&c);
  EXPECT_EQ(m.child_element_count(), 1U);
  Element& d = m.add_child("d");  // appending after removing the last child keeps the list sane
  EXPECT_EQ(m.child("d"), &d);
  EXPECT_EQ(m.last_node(), &d);
}

TEST(Element, CloneIsDeepAndIndependent) {
  StanzaPtr original = testing::parse_one(
      "<message to='a@b' xml:lang='en'><body>hi &amp; bye</body><x xmlns='urn:x'>t<y/>u</x>"
      "</message>");
  ASSERT_NE(original, nullptr);
  StanzaPtr copy = original->clone();
  EXPECT_TRUE(equal_trees(original->root(), copy->root()));
  copy->root().set_attr("to", "c@d");
  copy->root().child("body")->set_text("changed");
  EXPECT_EQ(original->root().attr("to"), "a@b");
  EXPECT_EQ(original->root().child_text("body"), "hi & bye");
  EXPECT_FALSE(equal_trees(original->root(), copy->root()));
  original.reset();  // the copy owns all of its memory
  EXPECT_EQ(copy->root().child_text("body"), "changed");
  EXPECT_EQ(copy->root().child("x", "urn:x")->text(), "tu");
}

TEST(Element, EqualTreesIgnoresAttributeOrderAndTextSplits) {
  StanzaPtr a = testing::parse_one("<m x='1' y='2'><b>ab</b></m>");
  StanzaPtr b = Stanza::create("m", ns::kClient);
  b->root().set_attr("y", "2").set_attr("x", "1");
  b->root().add_child("b").add_text("a").add_text("b");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(equal_trees(a->root(), b->root()));
  b->root().set_attr("z", "3");
  EXPECT_FALSE(equal_trees(a->root(), b->root()));
}

TEST(Stanza, KindOnlyForStanzaNamespaces) {
  EXPECT_EQ(Stanza::create("message", ns::kServer)->kind(), StanzaKind::Message);
  EXPECT_EQ(Stanza::create("presence", ns::kClient)->kind(), StanzaKind::Presence);
  EXPECT_EQ(Stanza::create("message", "urn:other")->kind(), StanzaKind::Other);
  EXPECT_EQ(Stanza::create("r", ns::kStreamManagement)->kind(), StanzaKind::Other);
}

TEST(Stanza, ReplySwapsAddressesAndKeepsId) {
  StanzaPtr req = testing::parse_one(
      "<iq type='get' id='v1' from='romeo@example.net/orchard' to='example.net'>"
      "<query xmlns='jabber:iq:version'/></iq>");
  ASSERT_NE(req, nullptr);
  StanzaPtr res = make_iq_result(req->root());
  EXPECT_EQ(res->root().name(), "iq");
  EXPECT_EQ(res->type(), "result");
  EXPECT_EQ(res->id(), "v1");
  EXPECT_EQ(res->to(), "romeo@example.net/orchard");
  EXPECT_EQ(res->from(), "example.net");
  EXPECT_EQ(res->root().first_child(), nullptr);
}

}  // namespace
}  // namespace tern::xmpp
