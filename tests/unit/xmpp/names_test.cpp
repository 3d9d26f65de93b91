// SPDX-License-Identifier: MIT
#include "xmpp/names.h"

#include <gtest/gtest.h>

#include <string>

#include "xmpp/namespaces.h"

namespace tern::xmpp {
namespace {

TEST(Names, KnownNamesResolveToOneStaticCopy) {
  std::string dynamic = "jabber:client";
  std::string_view found = names::lookup(dynamic);
  ASSERT_NE(found.data(), nullptr);
  EXPECT_EQ(found, ns::kClient);
  EXPECT_NE(found.data(), dynamic.data());
  EXPECT_EQ(names::lookup(std::string("message")).data(), names::lookup("message").data());
}

TEST(Names, UnknownNamesAreNotInterned) {
  EXPECT_EQ(names::lookup("urn:example:never-heard-of-it").data(), nullptr);
  EXPECT_EQ(names::lookup("").data(), nullptr);
  EXPECT_EQ(names::lookup("messag").data(), nullptr);
}

TEST(Names, TableHoldsEveryDistinctName) {
  EXPECT_GT(names::table_size(), 200U);
}

}  // namespace
}  // namespace tern::xmpp
