// SPDX-License-Identifier: MIT
#include "modules/pep/interests.h"

#include "xmpp/namespaces.h"

namespace tern::modules::pep {

NotifyNodes notify_nodes(const xmpp::Element& query) {
  constexpr std::string_view kSuffix = "+notify";
  NotifyNodes nodes;
  for (const xmpp::Element& feature : query.children()) {
    std::string_view var = feature.attr("var");
    if (feature.is("feature", xmpp::ns::kDiscoInfo) && var.size() > kSuffix.size() &&
        var.ends_with(kSuffix)) {
      nodes.emplace(var.substr(0, var.size() - kSuffix.size()));
    }
  }
  return nodes;
}

std::shared_ptr<const NotifyNodes> Interests::of(std::string_view full_jid,
                                                 const std::optional<xmpp::CapsClaim>& claim) {
  static const auto kNothing = std::make_shared<const NotifyNodes>();
  if (!claim) {
    return kNothing;  // no caps: no +notify, no notifications (XEP-0163 §4.2)
  }
  const std::string key = version_key(*claim);
  std::lock_guard lock(mutex_);
  if (auto it = by_resource_.find(full_jid);
      it != by_resource_.end() && it->second.version == key) {
    return it->second.nodes;
  }
  auto it = by_version_.find(key);
  return it == by_version_.end() ? nullptr : it->second;
}

std::optional<Interests::Query> Interests::wait_for(std::string_view full_jid,
                                                    const xmpp::CapsClaim& claim, bool send_last,
                                                    Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const std::string key = version_key(claim);
  if (auto it = pending_versions_.find(key); it != pending_versions_.end()) {
    Pending& pending = pending_[it->second];
    if (now - pending.asked_at < kQueryTimeout) {
      pending.waiters.push_back({std::string(full_jid), send_last});
      return std::nullopt;
    }
    drop_query(std::string(it->second));  // never answered: ask this resource instead
  }
  if (pending_.size() >= kMaxQueries) {
    std::erase_if(pending_versions_, [&](const auto& entry) {
      auto query = pending_.find(entry.second);
      if (query == pending_.end() || now - query->second.asked_at >= kQueryTimeout) {
        if (query != pending_.end()) {
          pending_.erase(query);
        }
        return true;
      }
      return false;
    });
  }
  if (pending_.size() >= kMaxQueries) {
    return std::nullopt;  // the resource gets no notifications until its next presence
  }
  std::string id = "pep-caps-" + std::to_string(next_id_++);
  pending_[id] = Pending{std::string(full_jid), claim, {{std::string(full_jid), send_last}}, now};
  pending_versions_[key] = id;
  return Query{id, claim.node + "#" + claim.ver};
}

Interests::Answered Interests::answer(std::string_view id, std::string_view from,
                                      const xmpp::Element* query) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.asked != from) {
    return {};
  }
  Pending pending = std::move(it->second);
  pending_.erase(it);
  pending_versions_.erase(version_key(pending.claim));
  auto nodes = std::make_shared<const NotifyNodes>(query ? notify_nodes(*query) : NotifyNodes{});
  bool verified = false;
  if (query != nullptr) {
    auto s = xmpp::caps_verification_string(*query);
    auto hash = s ? xmpp::caps_hash(pending.claim.hash, *s) : std::nullopt;
    verified = hash && *hash == pending.claim.ver;
  }
  Answered answered{true, verified, {}};
  if (verified) {
    if (by_version_.size() >= kMaxVersions) {
      by_version_.clear();  // rare: the next presences ask again
    }
    by_version_[version_key(pending.claim)] = nodes;
  } else {
    by_resource_[pending.asked] = {version_key(pending.claim), nodes};  // for it alone
  }
  for (const Waiter& waiter : pending.waiters) {
    if (!verified && waiter.full_jid != pending.asked) {
      continue;  // the answer proves nothing about the others' 'ver': they ask on their next
                 // presence
    }
    if (waiter.send_last) {
      answered.owed.push_back(waiter.full_jid);
    }
  }
  return answered;
}

void Interests::forget(std::string_view full_jid) {
  std::lock_guard lock(mutex_);
  if (auto it = by_resource_.find(full_jid); it != by_resource_.end()) {
    by_resource_.erase(it);
  }
  std::vector<std::string> asked_of_it;
  for (const auto& [id, pending] : pending_) {
    if (pending.asked == full_jid) {
      asked_of_it.push_back(id);
    }
  }
  for (const std::string& id : asked_of_it) {
    drop_query(id);
  }
}

void Interests::drop_query(const std::string& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  pending_versions_.erase(version_key(it->second.claim));
  pending_.erase(it);
}

}  // namespace tern::modules::pep
