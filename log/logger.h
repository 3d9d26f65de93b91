// SPDX-License-Identifier: MIT
// Logger: what the rest of Tern logs through. One line per event: a component ("c2s", "storage",
// a module's name), an event kind ("auth.failure": a constant, never data), a short fixed message
// and key=value fields. Levels are set per component ([log] in the configuration); a disabled
// level costs one relaxed atomic load. Lines are formatted on the calling thread and handed to an
// asynchronous writer (log/backend.h) that never blocks the caller, and a rate limit per
// (component, event) keeps a flood from filling the disk.
//
//   const log::Logger kLog("c2s");
//   kLog.warn("auth.failure", "authentication failed",
//             {{"mechanism", "PLAIN"}, {"user", "romeo"}, {"condition", "not-authorized"}});
//
// Fields carry data; the message does not, so no secret can slip into a line through a format
// string. Never log a password, a SASL payload or stanza content (at debug, only a stanza's top
// tag). This library depends on nothing else of Tern's, so that every other one may use it;
// modules reach it only through ModuleContext::log() (scripts/check_layering.sh).
#pragma once

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tern::log {

enum class Level : std::uint8_t { Debug, Info, Warn, Error, Off };

// A field's value: text, an integer or a boolean. It refers to the text it was given, so it lives
// only as long as the log call (a temporary std::string argument lives that long).
class Value {
 public:
  enum class Kind : std::uint8_t { Text, Number, Boolean };

  Value(std::string_view text) : text_(text) {}  // NOLINT: implicit by design, as all below
  Value(const std::string& text) : text_(text) {}
  Value(const char* text) : text_(text) {}
  Value(bool flag) : text_(flag ? "true" : "false"), kind_(Kind::Boolean) {}
  template <std::integral Int>
  requires(!std::same_as<Int, bool> && !std::same_as<Int, char>) Value(Int number)
      : kind_(Kind::Number) {
    auto [end, ec] = std::to_chars(digits_, digits_ + sizeof digits_, number);
    (void)ec;  // 24 bytes hold any 64-bit integer
    digits_size_ = static_cast<std::uint8_t>(end - digits_);
  }
  Value(const Value& other) { *this = other; }
  Value& operator=(const Value& other) {
    kind_ = other.kind_;
    digits_size_ = other.digits_size_;
    std::copy(other.digits_, other.digits_ + sizeof digits_, digits_);
    text_ = other.kind_ == Kind::Number ? std::string_view(digits_, digits_size_) : other.text_;
    return *this;
  }
  ~Value() = default;

  Kind kind() const { return kind_; }
  std::string_view text() const {
    return kind_ == Kind::Number ? std::string_view(digits_, digits_size_) : text_;
  }

 private:
  std::string_view text_;
  Kind kind_ = Kind::Text;
  std::uint8_t digits_size_ = 0;
  char digits_[24] = {};
};

struct Field {
  std::string_view key;  // a constant: lowercase, no spaces
  Value value;
};
using Fields = std::initializer_list<Field>;

struct Component;  // the registry's entry for one component name (logger.cpp)

// Warnings and errors logged since the start, by component, event and message (messages are
// constants, so the set stays small), counted whether or not the line was written (its level,
// the rate limit): /metrics counts refusals with them. At most kMaxEventKinds kinds; later new
// ones are not counted.
struct EventCount {
  std::string component;
  std::string event;
  std::string message;
  std::uint64_t count = 0;
};
inline constexpr std::size_t kMaxEventKinds = 1024;
std::vector<EventCount> event_counts();

// A handle on one component's settings; cheap to copy, valid for the whole program. Safe to use
// from any thread, before log::start() (nothing is written then) and after log::stop().
class Logger {
 public:
  // Writes nothing until a real one is assigned (a member set in a module's start()).
  Logger();
  explicit Logger(std::string_view component);

  std::string_view component() const;
  bool enabled(Level level) const;

  void debug(std::string_view event, std::string_view message, Fields fields = {}) const {
    write(Level::Debug, event, message, fields);
  }
  void info(std::string_view event, std::string_view message, Fields fields = {}) const {
    write(Level::Info, event, message, fields);
  }
  void warn(std::string_view event, std::string_view message, Fields fields = {}) const {
    write(Level::Warn, event, message, fields);
  }
  void error(std::string_view event, std::string_view message, Fields fields = {}) const {
    write(Level::Error, event, message, fields);
  }
  void write(Level level, std::string_view event, std::string_view message, Fields fields) const;

 private:
  Component* component_;
};

}  // namespace tern::log
