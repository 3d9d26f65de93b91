// SPDX-License-Identifier: MIT
#include "xmpp/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace tern::xmpp {
namespace {

TEST(Arena, AllocationsAreAlignedAndDistinct) {
  Arena arena;
  char* a = static_cast<char*>(arena.allocate(1, 1));
  auto* b = static_cast<std::uint64_t*>(arena.allocate(sizeof(std::uint64_t), 8));
  EXPECT_NE(static_cast<void*>(a), static_cast<void*>(b));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 8, 0U);
  *a = 'x';
  *b = 42;
  EXPECT_EQ(*a, 'x');
  EXPECT_EQ(*b, 42U);
}

TEST(Arena, CopiedStringsOutliveTheirSource) {
  Arena arena;
  std::string_view copy;
  {
    std::string source = "romeo@montague.example";
    copy = arena.copy(source);
    source.assign(source.size(), '#');
  }
  EXPECT_EQ(copy, "romeo@montague.example");
  EXPECT_TRUE(arena.copy("").empty());
}

TEST(Arena, GrowsForLargeAndManyAllocations) {
  Arena arena;
  std::string big(100000, 'b');
  std::string_view copy = arena.copy(big);
  EXPECT_EQ(copy, big);
  std::vector<std::string_view> many;
  for (int i = 0; i < 10000; ++i) {
    many.push_back(arena.copy(std::to_string(i)));
  }
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(many[static_cast<std::size_t>(i)], std::to_string(i));
  }
  EXPECT_GE(arena.bytes_allocated(), 100000U);
}

TEST(Arena, StandardBlocksAreRecycledPerThread) {
  Arena::trim_free_list();
  EXPECT_EQ(Arena::free_list_size(), 0U);
  {
    Arena arena;
    arena.copy("one block");
  }
  EXPECT_EQ(Arena::free_list_size(), 1U);
  {
    Arena arena;
    arena.copy("reuses the block");
    EXPECT_EQ(Arena::free_list_size(), 0U);
  }
  EXPECT_EQ(Arena::free_list_size(), 1U);
  Arena::trim_free_list();
}

TEST(Arena, MoveTransfersOwnership) {
  Arena a;
  std::string_view s = a.copy("moved");
  Arena b(std::move(a));
  EXPECT_EQ(s, "moved");
  EXPECT_EQ(a.bytes_allocated(),
            0U);  // NOLINT(bugprone-use-after-move): checks the moved-from state
  Arena c;
  c = std::move(b);
  EXPECT_EQ(s, "moved");
}

}  // namespace
}  // namespace tern::xmpp
