// SPDX-License-Identifier: MIT
// ModuleOptions getters (declared in the public module API).
#include "tern/module_api.h"

namespace tern {

const ModuleOptions::Value* ModuleOptions::find(std::string_view key) {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) {
    return nullptr;
  }
  read_.emplace(key);
  return &it->second;
}

void ModuleOptions::fail(const Value& value, std::string_view key,
                         std::string_view expected) const {
  throw ModuleOptionError(value.where + ": [modules." + module_ + "] " + std::string(key) +
                          " must be " + std::string(expected));
}

std::int64_t ModuleOptions::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  const Value* v = find(key);
  if (v == nullptr) {
    return fallback;
  }
  const auto* i = std::get_if<std::int64_t>(&v->value);
  if (i == nullptr || *i < min || *i > max) {
    fail(*v, key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *i;
}

bool ModuleOptions::boolean(std::string_view key, bool fallback) {
  const Value* v = find(key);
  if (v == nullptr) {
    return fallback;
  }
  const bool* b = std::get_if<bool>(&v->value);
  if (b == nullptr) {
    fail(*v, key, "true or false");
  }
  return *b;
}

std::string ModuleOptions::string(std::string_view key, std::string_view fallback) {
  const Value* v = find(key);
  if (v == nullptr) {
    return std::string(fallback);
  }
  const std::string* str = std::get_if<std::string>(&v->value);
  if (str == nullptr) {
    fail(*v, key, "a string");
  }
  return *str;
}

std::string ModuleOptions::required_string(std::string_view key) {
  const Value* v = find(key);
  if (v == nullptr) {
    throw ModuleOptionError("[modules." + module_ + "] " + std::string(key) +
                            " is required (a non-empty string)");
  }
  std::string value = string(key, "");
  if (value.empty()) {
    fail(*v, key, "a non-empty string");
  }
  return value;
}

std::vector<std::string> ModuleOptions::unread() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values_) {
    if (read_.find(key) == read_.end()) {
      out.push_back(value.where + ": [modules." + module_ + "] unknown option '" + key + "'");
    }
  }
  return out;
}

}  // namespace tern
