// SPDX-License-Identifier: MIT
// Which PEP nodes each connected resource wants to hear about (XEP-0163 §4 filtered
// notifications): a client lists NODE+notify among its XEP-0115 features, and the <c/> of its
// presence names them by hash. The server asks the client once per unknown 'ver' (disco#info)
// and caches the answer by 'ver' only when the answer hashes to it (XEP-0115 §5.4), so that a
// client cannot make others' caps mean something else; an answer that does not verify counts for
// that resource alone.
//
// One cache for every worker and host (ModuleContext::shared), behind a mutex: presence and
// disco answers arrive on the workers of the resources that sent them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/caps.h"
#include "xmpp/element.h"

namespace tern::modules::pep {

// The nodes a client asked notifications for.
using NotifyNodes = std::set<std::string, std::less<>>;

// The +notify features of a disco#info answer.
NotifyNodes notify_nodes(const xmpp::Element& query);

class Interests {
 public:
  // Bounds on memory: answers cached by 'ver', and queries in flight. A query unanswered after
  // kQueryTimeout, or whose resource has gone, no longer counts: a client that never answers
  // cannot hold a place (nor stop its 'ver' from being asked of another resource).
  static constexpr std::size_t kMaxVersions = 4096;
  static constexpr std::size_t kMaxQueries = 1024;
  static constexpr std::chrono::seconds kQueryTimeout{30};
  using Clock = std::chrono::steady_clock;

  // What the resource asked for, from its presence's caps: null while unknown.
  std::shared_ptr<const NotifyNodes> of(std::string_view full_jid,
                                        const std::optional<xmpp::CapsClaim>& claim);

  // A resource whose caps are unknown: whether the caller should send the disco#info query
  // (with this id) — not when a query for the same 'ver' is in flight (the resource then waits on
  // it) or too many are. `send_last` says whether the resource is owed the last items once known.
  struct Query {
    std::string id;
    std::string node;  // "NODE#VER", the query's node attribute
  };
  std::optional<Query> wait_for(std::string_view full_jid, const xmpp::CapsClaim& claim,
                                bool send_last, Clock::time_point now = Clock::now());

  // The answer (or error: `query` null) to query `id` from `from`: the resources that waited
  // for it and are owed their last items; empty for an id this cache did not send or an answer
  // from another JID than the one asked.
  struct Answered {
    bool known = false;             // the id was ours and came from the JID asked
    bool verified = false;          // the answer hashed to the 'ver' claimed (cached for everyone)
    std::vector<std::string> owed;  // full JIDs owed their last items
  };
  Answered answer(std::string_view id, std::string_view from, const xmpp::Element* query);

  // Whether kMaxQueries queries are in flight (a resource asked now gets none).
  bool full() {
    std::lock_guard lock(mutex_);
    return pending_.size() >= kMaxQueries;
  }

  // The resource's session ended: forget what counted for it alone, and the queries asked of it.
  void forget(std::string_view full_jid);

 private:
  struct Waiter {
    std::string full_jid;
    bool send_last = false;
  };
  struct Pending {
    std::string asked;  // the full JID the query went to
    xmpp::CapsClaim claim;
    std::vector<Waiter> waiters;
    Clock::time_point asked_at;
  };
  // Drops the query `id` (with its 'ver' entry); the caller holds the mutex.
  void drop_query(const std::string& id);
  static std::string version_key(const xmpp::CapsClaim& claim) {
    return claim.hash + " " + claim.ver;
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const NotifyNodes>, std::less<>> by_version_;
  struct ResourceAnswer {
    std::string version;  // the claim it answered
    std::shared_ptr<const NotifyNodes> nodes;
  };
  std::map<std::string, ResourceAnswer, std::less<>> by_resource_;
  std::map<std::string, Pending, std::less<>> pending_;               // by query id
  std::map<std::string, std::string, std::less<>> pending_versions_;  // version key → query id
  std::uint64_t next_id_ = 1;
};

}  // namespace tern::modules::pep
