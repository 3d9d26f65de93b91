// SPDX-License-Identifier: MIT
// The scenario of each mode, one file each; make_scenario() (scenario.cpp) picks one.
#pragma once

#include <memory>

#include "tools/tern-bench/scenario.h"

namespace tern::bench {

std::unique_ptr<Scenario> make_connect_scenario(const Options& options, std::uint64_t first,
                                                std::uint64_t count, const tls::TlsContext* tls);
std::unique_ptr<Scenario> make_chat_scenario(const Options& options, std::uint64_t first,
                                             std::uint64_t count, const tls::TlsContext* tls);
std::unique_ptr<Scenario> make_presence_scenario(const Options& options, std::uint64_t first,
                                                 std::uint64_t count, const tls::TlsContext* tls);
std::unique_ptr<Scenario> make_muc_scenario(const Options& options, std::uint64_t first,
                                            std::uint64_t count, const tls::TlsContext* tls);
std::unique_ptr<Scenario> make_register_scenario(const Options& options, std::uint64_t first,
                                                 std::uint64_t count, const tls::TlsContext* tls);

// Microseconds on the clock every process of the run shares (CLOCK_MONOTONIC).
std::uint64_t now_micros();
// The stamp a receiver reads back: "<prefix><micros>", parsed from the start of `text`.
bool read_stamp(std::string_view text, std::string_view prefix, std::uint64_t& micros);

}  // namespace tern::bench
