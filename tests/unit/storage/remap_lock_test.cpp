// SPDX-License-Identifier: MIT
// RemapLock: readers do not wait for each other; the resizer waits for readers to leave and gives
// up after its timeout if they stay; readers wait while a resize is under way, except a thread
// that already reads (a nested read must not wait for a resizer that waits for it).
#include "tern/remap_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace tern {
namespace {

using std::chrono::milliseconds;

TEST(RemapLock, ReadersShareAndTheResizerWaitsForThem) {
  RemapLock lock;
  std::shared_lock a(lock);
  std::thread other([&] {
    std::shared_lock b(lock);  // another reader is not held up
  });
  other.join();
  EXPECT_FALSE(lock.try_lock_for(milliseconds(20)));  // a reader is in: the resizer gives up
  a.unlock();
  ASSERT_TRUE(lock.try_lock_for(milliseconds(20)));
  lock.unlock();
}

TEST(RemapLock, ReadersWaitWhileAResizeIsUnderWay) {
  RemapLock lock;
  ASSERT_TRUE(lock.try_lock_for(milliseconds(20)));
  std::atomic<bool> read{false};
  std::thread reader([&] {
    std::shared_lock s(lock);
    read = true;
  });
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_FALSE(read.load());
  lock.unlock();
  reader.join();
  EXPECT_TRUE(read.load());
}

TEST(RemapLock, ANestedReadGoesOnWhileTheResizerWaits) {
  RemapLock lock;
  std::shared_lock outer(lock);
  std::atomic<bool> resized{false};
  std::thread resizer([&] {
    resized = lock.try_lock_for(milliseconds(2000));
    if (resized) {
      lock.unlock();
    }
  });
  std::this_thread::sleep_for(milliseconds(20));  // the resizer's flag is up by now
  {
    std::shared_lock inner(lock);  // must not wait for the resizer, which waits for us
  }
  outer.unlock();
  resizer.join();
  EXPECT_TRUE(resized.load());
}

TEST(RemapLock, ManyThreadsReadingWhileResizing) {
  RemapLock lock;
  std::atomic<bool> stop{false};
  std::atomic<int> inside_while_resized{0};
  std::atomic<bool> resizing{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        std::shared_lock s(lock);
        if (resizing) {
          ++inside_while_resized;
        }
      }
    });
  }
  int resizes = 0;
  for (int i = 0; i < 50; ++i) {
    if (lock.try_lock_for(milliseconds(200))) {
      resizing = true;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      resizing = false;
      lock.unlock();
      ++resizes;
    }
  }
  stop = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_GT(resizes, 0);
  EXPECT_EQ(inside_while_resized.load(), 0);  // no reader was in while the map moved
}

TEST(RemapLock, AThreadKnowsItReadsAndASecondResizerWaitsItsTurn) {
  RemapLock lock;
  EXPECT_FALSE(lock.held_shared_here());
  {
    std::shared_lock s(lock);
    EXPECT_TRUE(lock.held_shared_here());
  }
  EXPECT_FALSE(lock.held_shared_here());
  ASSERT_TRUE(lock.try_lock_for(milliseconds(20)));
  std::atomic<bool> second{false};
  std::thread other([&] {
    second = lock.try_lock_for(milliseconds(2000));  // waits for the first, does not fail
    if (second) {
      lock.unlock();
    }
  });
  std::this_thread::sleep_for(milliseconds(20));
  lock.unlock();
  other.join();
  EXPECT_TRUE(second.load());
}

}  // namespace
}  // namespace tern
