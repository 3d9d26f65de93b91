// SPDX-License-Identifier: MIT
// What logger.cpp (the component registry) and backend.cpp (the writer) tell each other; not for
// use outside log/.
#pragma once

#include <string_view>

#include "log/logger.h"
#include "log/options.h"

namespace tern::log::detail {

// Gives every component its level from `options` (and components named later too).
void configure_levels(const Options& options);
// Every component off: nothing reaches the writer (before start, after stop).
void disable_levels();
// Rate limit, format and queue one line whose level is enabled for its component.
void submit(Level level, std::string_view component, std::string_view event,
            std::string_view message, Fields fields);

}  // namespace tern::log::detail
