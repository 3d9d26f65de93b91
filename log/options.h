// SPDX-License-Identifier: MIT
// Options: how the log is set up ([log] in etc/tern.toml documents each one), and the names of
// levels and formats as the configuration spells them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "log/logger.h"

namespace tern::log {

enum class Format : std::uint8_t {
  Text,      // "2025-06-01T10:00:00.123Z info  c2s auth.success: authenticated jid=…"
  Json,      // one JSON object per line: time, level, component, event, msg, then the fields
  Journald,  // text without the time, with a "<6>" priority prefix that journald reads
};

struct Options {
  Level level = Level::Info;                             // every component without its own
  std::map<std::string, Level, std::less<>> components;  // per component
  Format format = Format::Text;
  std::string destination = "stderr";  // "stderr" or a file (appended)
  double rate_limit = 100;             // lines/s per (component, event); 0: off
  double rate_burst = 200;             // lines at once before the limit
  std::size_t queue_lines = 8192;      // lines waiting for the writer thread

  Level level_of(std::string_view component) const {
    auto it = components.find(component);
    return it != components.end() ? it->second : level;
  }
};

// "debug", "info", "warn", "error", "off".
std::string_view level_name(Level level);
std::optional<Level> parse_level(std::string_view name);
// "text", "json", "journald".
std::optional<Format> parse_format(std::string_view name);

}  // namespace tern::log
