// SPDX-License-Identifier: MIT
#include "xmpp/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tern {
namespace {

enum class Oops { Bad, Worse };

Result<int, Oops> half(int x) {
  if (x % 2 != 0) {
    return Err(Oops::Bad);
  }
  return x / 2;
}

TEST(Result, HoldsValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Oops::Bad);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, SameTypeForValueAndError) {
  Result<std::string, std::string> v = std::string("value");
  Result<std::string, std::string> e = Err(std::string("error"));
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.value(), "value");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "error");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>, Oops> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Result, VoidResult) {
  Result<void, Oops> fine;
  Result<void, Oops> broken = Err(Oops::Worse);
  EXPECT_TRUE(fine.ok());
  EXPECT_EQ(broken.error(), Oops::Worse);
}

TEST(ResultDeathTest, WrongAccessAborts) {
  auto bad = half(1);
  EXPECT_DEATH((void)bad.value(), "");
  auto ok = half(2);
  EXPECT_DEATH((void)ok.error(), "");
}

}  // namespace
}  // namespace tern
