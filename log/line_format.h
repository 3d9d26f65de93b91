// SPDX-License-Identifier: MIT
// The three line formats, as pure functions (tested without a writer thread). Whatever the data,
// a line stays one line: control characters are escaped (a newline in a username cannot forge a
// second line), bytes that are not UTF-8 are escaped too, and a JSON line is always valid JSON.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "log/logger.h"
#include "log/options.h"

namespace tern::log {

struct Event {
  std::chrono::system_clock::time_point time;
  Level level = Level::Info;
  std::string_view component;
  std::string_view event;
  std::string_view message;
  std::span<const Field> fields;
};

// Appends the line for `event` to `out`, without the newline. A field whose text is empty is left
// out (a JID before authentication, say); a text longer than 1 KiB is cut, with "...[+N bytes]".
void format_line(Format format, const Event& event, std::string& out);

// "2025-06-01T10:00:00.123Z" (UTC, milliseconds).
void append_time(std::chrono::system_clock::time_point time, std::string& out);
// `text` as a JSON string, quotes included: \" \\ \n \r \t, \u00XX for other control characters
// (C0, DEL, C1), U+FFFD for bytes that are not UTF-8.
void append_json_string(std::string_view text, std::string& out);
// `text` as a text-format value: bare when it is plain (printable, no space, quote, '=' or
// backslash, not empty), otherwise quoted and escaped as in JSON except that a byte that is not
// UTF-8 becomes \xNN.
void append_text_value(std::string_view text, std::string& out);

}  // namespace tern::log
