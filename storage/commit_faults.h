// SPDX-License-Identifier: MIT
// CommitFaults: store commits that fail on purpose, to test what a failing store costs (nothing
// acknowledged may be lost). ternd takes a plan from the environment variable TERN_STORE_FAULTS,
// "commit:N:CODE[:COUNT]": COUNT commits (1 by default) from the Nth one on fail with CODE, one
// of EIO, ENOSPC, MAP_FULL; unit tests build one directly. A failing commit is aborted, so
// nothing of it is written, exactly as when the disk refuses it. Off unless asked for.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::storage {

class CommitFaults {
 public:
  CommitFaults(std::uint64_t first, int code, std::uint64_t count = 1)
      : first_(first), count_(count), code_(code) {}
  // nullopt when `spec` is not "commit:N:CODE[:COUNT]" with N, COUNT >= 1 and a known CODE.
  static std::optional<CommitFaults> parse(std::string_view spec);
  CommitFaults(const CommitFaults& other)
      : first_(other.first_), count_(other.count_), code_(other.code_) {}
  CommitFaults& operator=(const CommitFaults&) = delete;

  // Called once per commit (thread-safe): the error code to fail it with, or 0.
  int next();
  // "commits 5 to 5 fail with EIO", for the log.
  std::string describe() const;

 private:
  std::uint64_t first_;
  std::uint64_t count_;
  int code_;
  std::atomic<std::uint64_t> commits_{0};
};

}  // namespace tern::storage
