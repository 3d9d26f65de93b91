// SPDX-License-Identifier: MIT
// The component registry: one entry per component name, created on first use and never freed,
// each with an atomic level, so that Logger::enabled() takes no lock.
#include "log/logger.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "log/internal.h"

namespace tern::log {

struct Component {
  explicit Component(std::string_view n) : name(n) {}
  std::string name;
  std::atomic<Level> level{Level::Off};
};

namespace {

class Registry {
 public:
  Component& get(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = components_.find(name);
    if (it == components_.end()) {
      auto component = std::make_unique<Component>(name);
      component->level.store(level_for(name));
      it = components_.emplace(std::string(name), std::move(component)).first;
    }
    return *it->second;
  }

  void configure(const Options* options) {
    std::lock_guard lock(mutex_);
    running_ = options != nullptr;
    if (options != nullptr) {
      options_ = *options;
    }
    for (auto& [name, component] : components_) {
      component->level.store(level_for(name));
    }
  }

 private:
  // Under the mutex. The unnamed component (Logger()) is always off.
  Level level_for(std::string_view name) const {
    return running_ && !name.empty() ? options_.level_of(name) : Level::Off;
  }

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Component>, std::less<>> components_;
  Options options_;
  bool running_ = false;
};

Registry& registry() {
  static Registry* instance = new Registry();  // never destroyed: loggers live in statics too
  return *instance;
}

}  // namespace

namespace detail {

void configure_levels(const Options& options) {
  registry().configure(&options);
}

void disable_levels() {
  registry().configure(nullptr);
}

}  // namespace detail

Logger::Logger() : Logger(std::string_view()) {}

Logger::Logger(std::string_view component) : component_(&registry().get(component)) {}

std::string_view Logger::component() const {
  return component_->name;
}

bool Logger::enabled(Level level) const {
  Level threshold = component_->level.load(std::memory_order_relaxed);
  return threshold != Level::Off && level >= threshold && level != Level::Off;
}

namespace {

struct EventCounts {
  std::mutex mutex;
  std::map<std::string, EventCount, std::less<>> counts;  // by "component\0event\0message"
  std::string key;                                        // scratch, under the mutex
};

EventCounts& event_counts_table() {
  static EventCounts table;
  return table;
}

void count_event(std::string_view component, std::string_view event, std::string_view message) {
  EventCounts& table = event_counts_table();
  std::lock_guard lock(table.mutex);
  table.key.assign(component).append(1, '\0').append(event).append(1, '\0').append(message);
  auto it = table.counts.find(table.key);
  if (it == table.counts.end()) {
    if (table.counts.size() >= kMaxEventKinds) {
      return;
    }
    it = table.counts
             .emplace(table.key, EventCount{std::string(component), std::string(event),
                                            std::string(message), 0})
             .first;
  }
  ++it->second.count;
}

}  // namespace

std::vector<EventCount> event_counts() {
  EventCounts& table = event_counts_table();
  std::lock_guard lock(table.mutex);
  std::vector<EventCount> out;
  out.reserve(table.counts.size());
  for (const auto& [key, count] : table.counts) {
    out.push_back(count);
  }
  return out;
}

void Logger::write(Level level, std::string_view event, std::string_view message,
                   Fields fields) const {
  if (level >= Level::Warn && level != Level::Off) {
    count_event(component_->name, event, message);
  }
  if (enabled(level)) {
    detail::submit(level, component_->name, event, message, fields);
  }
}

}  // namespace tern::log
