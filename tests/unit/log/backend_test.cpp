// SPDX-License-Identifier: MIT
// The whole path: Logger → rate limit → format → async queue → file, with start() and stop().
#include "log/backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tern::log {
namespace {

using ::testing::HasSubstr;

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-log-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    options_.destination = dir_ + "/tern.log";
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> lines() const {
    std::ifstream in(options_.destination);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }
  static std::vector<std::string> with(const std::vector<std::string>& lines,
                                       std::string_view part) {
    std::vector<std::string> out;
    for (const std::string& line : lines) {
      if (line.find(part) != std::string::npos) {
        out.push_back(line);
      }
    }
    return out;
  }

  std::string dir_;
  Options options_;
};

TEST_F(BackendTest, LevelsApplyPerComponent) {
  options_.level = Level::Warn;
  options_.components = {{"c2s", Level::Debug}, {"router", Level::Off}};
  ASSERT_EQ(start(options_), std::nullopt);
  Logger c2s("c2s");
  Logger storage("storage");
  Logger router("router");
  EXPECT_TRUE(c2s.enabled(Level::Debug));
  EXPECT_FALSE(storage.enabled(Level::Info));
  EXPECT_FALSE(router.enabled(Level::Error));
  c2s.debug("stream.open", "c2s debug");
  storage.info("commit.slow", "storage info");
  storage.warn("commit.slow", "storage warn");
  router.error("route.failed", "router error");
  Logger later("offline");  // a component first named after start gets the default level
  later.warn("quota", "offline warn");
  stop();
  std::vector<std::string> all = lines();
  ASSERT_EQ(all.size(), 3U) << testing::PrintToString(all);
  EXPECT_THAT(all[0], HasSubstr(" debug c2s stream.open: c2s debug"));
  EXPECT_THAT(all[1], HasSubstr(" warn  storage commit.slow: storage warn"));
  EXPECT_THAT(all[2], HasSubstr(" warn  offline quota: offline warn"));
}

TEST_F(BackendTest, NothingIsWrittenBeforeStartOrAfterStop) {
  Logger c2s("c2s");
  EXPECT_FALSE(c2s.enabled(Level::Error));
  c2s.error("early", "before start");
  ASSERT_EQ(start(options_), std::nullopt);
  c2s.error("during", "while running");
  stop();
  c2s.error("late", "after stop");
  std::vector<std::string> all = lines();
  ASSERT_EQ(all.size(), 1U) << testing::PrintToString(all);
  EXPECT_THAT(all[0], HasSubstr("during: while running"));
}

TEST_F(BackendTest, StopWritesEveryQueuedLine) {
  options_.rate_limit = 0;
  ASSERT_EQ(start(options_), std::nullopt);
  Logger c2s("c2s");
  for (int i = 0; i < 5000; ++i) {
    c2s.info("conn.accepted", "connection accepted", {{"n", i}});
  }
  stop();  // as ternd does on SIGTERM: returns once the queue is written
  std::vector<std::string> all = lines();
  ASSERT_EQ(all.size(), 5000U);
  EXPECT_THAT(all.back(), HasSubstr("n=4999"));
}

// Workers log at once, with components and the rate limiter shared (scripts/tsan.sh runs this).
TEST_F(BackendTest, ManyThreadsLogAtOnce) {
  options_.rate_limit = 0;
  options_.queue_lines = 1 << 16;
  ASSERT_EQ(start(options_), std::nullopt);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      Logger c2s("c2s");
      for (int i = 0; i < 1000; ++i) {
        c2s.info("conn.accepted", "connection accepted", {{"thread", t}, {"n", i}});
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  stop();
  EXPECT_EQ(with(lines(), "conn.accepted").size(), 4000U);
}

TEST_F(BackendTest, JsonLinesAndTheRateLimitSummary) {
  options_.format = Format::Json;
  options_.rate_limit = 1;
  options_.rate_burst = 5;
  ASSERT_EQ(start(options_), std::nullopt);
  Logger c2s("c2s");
  for (int i = 0; i < 100; ++i) {
    c2s.warn("auth.failure", "authentication failed", {{"user", "mallory"}});
  }
  c2s.info("conn.closed", "connection closed");  // another kind: not limited by the first
  stop();
  std::vector<std::string> all = lines();
  EXPECT_EQ(with(all, "\"event\":\"auth.failure\"").size(), 5U) << testing::PrintToString(all);
  EXPECT_EQ(with(all, "\"event\":\"conn.closed\"").size(), 1U);
  std::vector<std::string> summary = with(all, "\"event\":\"log.suppressed\"");
  ASSERT_EQ(summary.size(), 1U) << testing::PrintToString(all);
  EXPECT_THAT(summary[0], HasSubstr(R"("component":"c2s","kind":"auth.failure","count":95)"));
  for (const std::string& line : all) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
  }
}

TEST_F(BackendTest, AFullQueueDropsLinesAndSaysHowMany) {
  options_.rate_limit = 0;
  options_.queue_lines = 4;
  ASSERT_EQ(start(options_), std::nullopt);
  Logger c2s("c2s");
  constexpr int kLines = 20000;
  for (int i = 0; i < kLines; ++i) {  // far faster than the writer thread: never waits for it
    c2s.info("flood", "line");
  }
  stop();
  std::vector<std::string> all = lines();
  std::vector<std::string> dropped = with(all, "log.dropped");
  ASSERT_EQ(dropped.size(), 1U) << all.size() << " lines";
  EXPECT_LT(with(all, "flood").size(), static_cast<std::size_t>(kLines));
}

TEST_F(BackendTest, AnUnopenableDestinationIsReported) {
  std::ofstream(dir_ + "/a-file") << "not a directory";
  options_.destination = dir_ + "/a-file/tern.log";
  auto error = start(options_);
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(*error, HasSubstr("a-file/tern.log"));
}

}  // namespace
}  // namespace tern::log
