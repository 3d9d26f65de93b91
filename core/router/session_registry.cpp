// SPDX-License-Identifier: MIT
// The bare JID → resources map behind SessionRegistry.
#include "core/router/session_registry.h"

#include <algorithm>
#include <mutex>

namespace tern::core {

SessionRegistry::BindOutcome SessionRegistry::bind(const xmpp::Jid& full, SessionHandle handle,
                                                   std::size_t max_per_account) {
  std::unique_lock lock(mutex_);
  std::vector<BoundResource>& list = accounts_[std::string(full.bare_view())];
  for (BoundResource& r : list) {
    if (r.resource == full.resource()) {
      SessionHandle replaced = r.handle;
      r = BoundResource{};
      r.resource = full.resource();
      r.handle = handle;
      return {false, replaced, false};
    }
  }
  if (max_per_account != 0 && list.size() >= max_per_account) {
    return {true, std::nullopt};  // the list was not empty, so no empty entry is left behind
  }
  BoundResource added;
  added.resource = full.resource();
  added.handle = handle;
  list.push_back(std::move(added));
  ++sessions_;
  return {false, std::nullopt, list.size() == 1};
}

SessionRegistry::UnbindOutcome SessionRegistry::unbind(const xmpp::Jid& full,
                                                       SessionHandle handle) {
  std::unique_lock lock(mutex_);
  auto it = accounts_.find(std::string(full.bare_view()));
  if (it == accounts_.end()) {
    return {};
  }
  auto& list = it->second;
  UnbindOutcome outcome;
  auto gone = std::remove_if(list.begin(), list.end(), [&](const BoundResource& r) {
    bool match = r.resource == full.resource() && r.handle == handle;
    outcome.was_available = outcome.was_available || (match && r.available);
    return match;
  });
  outcome.unbound = gone != list.end();
  sessions_ -= static_cast<std::size_t>(list.end() - gone);
  list.erase(gone, list.end());
  if (list.empty()) {
    accounts_.erase(it);
    outcome.last = outcome.unbound;
  }
  return outcome;
}

bool SessionRegistry::set_presence(const xmpp::Jid& full, SessionHandle handle, int priority,
                                   std::shared_ptr<const xmpp::Stanza> presence) {
  std::unique_lock lock(mutex_);
  auto it = accounts_.find(std::string(full.bare_view()));
  if (it == accounts_.end()) {
    return false;
  }
  for (BoundResource& r : it->second) {
    if (r.resource == full.resource() && r.handle == handle) {
      bool was_available = r.available;
      r.available = presence != nullptr;
      r.priority = priority;
      r.presence = std::move(presence);
      return was_available;
    }
  }
  return false;
}

void SessionRegistry::set_interested(const xmpp::Jid& full) {
  std::unique_lock lock(mutex_);
  auto it = accounts_.find(std::string(full.bare_view()));
  if (it == accounts_.end()) {
    return;
  }
  for (BoundResource& r : it->second) {
    if (r.resource == full.resource()) {
      r.interested = true;
    }
  }
}

bool SessionRegistry::rehome(const xmpp::Jid& full, SessionHandle from, SessionHandle to) {
  std::unique_lock lock(mutex_);
  auto it = accounts_.find(std::string(full.bare_view()));
  if (it == accounts_.end()) {
    return false;
  }
  for (BoundResource& r : it->second) {
    if (r.resource == full.resource() && r.handle == from) {
      r.handle = to;
      return true;
    }
  }
  return false;
}

void SessionRegistry::set_flag(const xmpp::Jid& full, std::string_view flag, bool on) {
  std::unique_lock lock(mutex_);
  auto it = accounts_.find(std::string(full.bare_view()));
  if (it == accounts_.end()) {
    return;
  }
  for (BoundResource& r : it->second) {
    if (r.resource != full.resource()) {
      continue;
    }
    auto found = std::find(r.flags.begin(), r.flags.end(), flag);
    if (on && found == r.flags.end()) {
      r.flags.emplace_back(flag);
    } else if (!on && found != r.flags.end()) {
      r.flags.erase(found);
    }
  }
}

std::optional<SessionHandle> SessionRegistry::find(const xmpp::Jid& full) const {
  std::shared_lock lock(mutex_);
  return find_locked(full);
}

std::vector<std::optional<SessionHandle>> SessionRegistry::find_many(
    const std::vector<xmpp::Jid>& full) const {
  std::vector<std::optional<SessionHandle>> found;
  found.reserve(full.size());
  std::shared_lock lock(mutex_);
  for (const xmpp::Jid& jid : full) {
    found.push_back(find_locked(jid));
  }
  return found;
}

std::optional<SessionHandle> SessionRegistry::find_locked(const xmpp::Jid& full) const {
  auto it = accounts_.find(full.bare_view());
  if (it != accounts_.end()) {
    for (const BoundResource& r : it->second) {
      if (r.resource == full.resource()) {
        return r.handle;
      }
    }
  }
  return std::nullopt;
}

std::vector<BoundResource> SessionRegistry::resources(std::string_view bare_jid) const {
  std::shared_lock lock(mutex_);
  auto it = accounts_.find(std::string(bare_jid));
  return it == accounts_.end() ? std::vector<BoundResource>{} : it->second;
}

std::size_t SessionRegistry::session_count() const {
  std::shared_lock lock(mutex_);
  return sessions_;
}

}  // namespace tern::core
