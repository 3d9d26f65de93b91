// SPDX-License-Identifier: MIT
#include "xmpp/prepared_stanza.h"

#include <gtest/gtest.h>

#include <string>

#include "xmpp/namespaces.h"
#include "xmpp/serializer.h"

namespace tern::xmpp {
namespace {

// The room's message as occupants get it, with `to` first when given.
StanzaPtr room_message(std::string_view to = {}) {
  StanzaPtr s = Stanza::create("message", ns::kClient);
  if (!to.empty()) {
    s->root().set_attr("to", to);
  }
  s->root().set_attr("from", "room@conference.example.org/it's <me>").set_attr("type", "groupchat");
  s->root().add_child("body").set_text("a & b");
  s->root().add_child("occupant-id", ns::kOccupantId).set_attr("id", "x1");
  return s;
}

std::string serialised(const Element& e) {
  std::string out;
  Serializer().write(out, e);
  return out;
}

TEST(PreparedStanza, EachCopyIsTheStanzaSerialisedWithItsTo) {
  PreparedStanza prepared(room_message());
  for (std::string_view to : {"juliet@example.org/balcony", "o'brien@example.org/a&b<c>\"d"}) {
    std::string out = "<kept/>";
    prepared.write(out, to);
    EXPECT_EQ(out, "<kept/>" + serialised(room_message(to)->root()));
  }
}

TEST(PreparedStanza, AnEmptyElementTakesItsToToo) {
  StanzaPtr bare = Stanza::create("presence", ns::kClient);
  PreparedStanza prepared(std::move(bare));
  std::string out;
  prepared.write(out, "romeo@example.net/orchard");
  EXPECT_EQ(out, "<presence to='romeo@example.net/orchard'/>");
}

TEST(PreparedStanza, CopiesAreTreesOfTheirOwn) {
  PreparedStanza prepared(room_message());
  StanzaPtr copy = prepared.copy_for("juliet@example.org/balcony");
  EXPECT_EQ(copy->root().attr("to"), "juliet@example.org/balcony");
  EXPECT_EQ(copy->root().child_text("body"), "a & b");
  EXPECT_TRUE(prepared.stanza().root().attr("to").empty());  // the shared one is untouched
}

}  // namespace
}  // namespace tern::xmpp
