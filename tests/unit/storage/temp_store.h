// SPDX-License-Identifier: MIT
// A store in a fresh temporary directory, removed at the end of the test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/env.h"

namespace tern::storage::testing {

class TempStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-store-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    reopen();
  }
  void TearDown() override {
    env_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen(const EnvOptions& options = {}) {
    env_.reset();
    auto opened = Environment::open(dir_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    env_ = std::move(opened).value();
  }
  Environment& env() { return *env_; }

  std::string dir_;
  std::unique_ptr<Environment> env_;
};

}  // namespace tern::storage::testing
