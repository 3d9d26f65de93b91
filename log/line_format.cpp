// SPDX-License-Identifier: MIT
// Text, JSON and journald lines, and the escaping that keeps each of them one valid line.
#include "log/line_format.h"

#include <ctime>

namespace tern::log {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The length of the well-formed UTF-8 sequence (RFC 3629 §4) starting at text[i] and its code
// point, or 0 when the byte starts none.
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
    return 0;
  }
  code_point = lead & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    if (k > 1 && (byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  return length;
}

void append_u00(unsigned char c, std::string& out) {
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

enum class Escaping : std::uint8_t { Json, Text };

// Everything between the quotes; the same rules for both formats except for bytes that are not
// UTF-8 (JSON must stay valid, text keeps the byte's value visible).
void append_escaped(std::string_view text, Escaping mode, std::string& out) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            append_u00(c, out);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    char32_t code_point = 0;
    std::size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) {
      if (mode == Escaping::Json) {
        out += "\\ufffd";
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      ++i;
    } else if (code_point <= 0x9F) {  // C1 controls: some terminals act on them
      append_u00(static_cast<unsigned char>(code_point), out);
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
}

bool plain_text(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '=' || c == '\\') {
      return false;
    }
  }
  return true;
}

void append_two(int value, std::string& out) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

// journald's reading of a "<N>" prefix (sd-daemon.h): syslog priorities.
char journald_priority(Level level) {
  switch (level) {
    case Level::Debug:
      return '7';
    case Level::Info:
      return '6';
    case Level::Warn:
      return '4';
    default:
      return '3';
  }
}

// A value longer than this is cut, with a note of how much: a line stays readable, and a client
// cannot make one line carry a whole stanza's worth of its text.
constexpr std::size_t kMaxValueBytes = 1024;

bool omitted(const Field& field) {
  return field.value.kind() == Value::Kind::Text && field.value.text().empty();
}

void append_field_value(const Value& value, Escaping mode, std::string& out) {
  std::string_view text = value.text();
  if (value.kind() != Value::Kind::Text) {
    out += text;
    return;
  }
  if (text.size() <= kMaxValueBytes) {
    return mode == Escaping::Json ? append_json_string(text, out) : append_text_value(text, out);
  }
  out += '"';
  append_escaped(text.substr(0, kMaxValueBytes), mode, out);
  out += "...[+" + std::to_string(text.size() - kMaxValueBytes) + " bytes]\"";
}

void append_text_fields(std::span<const Field> fields, std::string& out) {
  for (const Field& field : fields) {
    if (omitted(field)) {
      continue;
    }
    out += ' ';
    out += field.key;
    out += '=';
    append_field_value(field.value, Escaping::Text, out);
  }
}

void append_text_body(const Event& event, std::string& out) {
  out += event.component;
  out += ' ';
  out += event.event;
  out += ": ";
  append_escaped(event.message, Escaping::Text, out);
  append_text_fields(event.fields, out);
}

void append_json_line(const Event& event, std::string& out) {
  out += "{\"time\":\"";
  append_time(event.time, out);
  out += "\",\"level\":\"";
  out += level_name(event.level);
  out += "\",\"component\":";
  append_json_string(event.component, out);
  out += ",\"event\":";
  append_json_string(event.event, out);
  out += ",\"msg\":";
  append_json_string(event.message, out);
  for (const Field& field : event.fields) {
    if (omitted(field)) {
      continue;
    }
    out += ',';
    append_json_string(field.key, out);
    out += ':';
    append_field_value(field.value, Escaping::Json, out);
  }
  out += '}';
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
    case Level::Off:
      break;
  }
  return "off";
}

std::optional<Level> parse_level(std::string_view name) {
  for (Level level : {Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Off}) {
    if (name == level_name(level)) {
      return level;
    }
  }
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") {
    return Format::Text;
  }
  if (name == "json") {
    return Format::Json;
  }
  if (name == "journald") {
    return Format::Journald;
  }
  return std::nullopt;
}

void append_time(std::chrono::system_clock::time_point time, std::string& out) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  const auto millis = static_cast<int>(since_epoch % 1000);
  // gmtime_r once per second and thread: a busy log reuses the text of the current second.
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached_text;
  if (seconds != cached_second) {
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    cached_text.clear();
    int year = utc.tm_year + 1900;
    append_two(year / 100, cached_text);
    append_two(year % 100, cached_text);
    cached_text += '-';
    append_two(utc.tm_mon + 1, cached_text);
    cached_text += '-';
    append_two(utc.tm_mday, cached_text);
    cached_text += 'T';
    append_two(utc.tm_hour, cached_text);
    cached_text += ':';
    append_two(utc.tm_min, cached_text);
    cached_text += ':';
    append_two(utc.tm_sec, cached_text);
    cached_second = seconds;
  }
  out += cached_text;
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  append_two(millis % 100, out);
  out += 'Z';
}

void append_json_string(std::string_view text, std::string& out) {
  out += '"';
  append_escaped(text, Escaping::Json, out);
  out += '"';
}

void append_text_value(std::string_view text, std::string& out) {
  if (plain_text(text)) {
    out += text;
    return;
  }
  out += '"';
  append_escaped(text, Escaping::Text, out);
  out += '"';
}

void format_line(Format format, const Event& event, std::string& out) {
  switch (format) {
    case Format::Json:
      return append_json_line(event, out);
    case Format::Journald:
      out += '<';
      out += journald_priority(event.level);
      out += '>';
      return append_text_body(event, out);
    case Format::Text:
      break;
  }
  append_time(event.time, out);
  out += ' ';
  std::string_view level = level_name(event.level);
  out += level;
  out.append(6 - level.size(), ' ');  // aligned: the longest names have 5 letters
  append_text_body(event, out);
}

}  // namespace tern::log
