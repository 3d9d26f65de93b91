// SPDX-License-Identifier: MIT
// SessionRegistry: which resources of which accounts are connected, and where (worker and
// connection). Every worker reads and writes it, so it is guarded by a shared mutex; what it
// hands out are SessionHandles, never pointers, so a handle to a session that has meanwhile
// closed simply resolves to nothing on its worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/jid.h"
#include "xmpp/stanza.h"

namespace tern::core {

struct SessionHandle {
  unsigned worker = 0;
  std::uint64_t connection = 0;
  friend bool operator==(const SessionHandle&, const SessionHandle&) = default;
};

struct BoundResource {
  std::string resource;
  SessionHandle handle;
  bool available = false;          // sent available presence (RFC 6121 §4.2)
  int priority = 0;                // of that presence (RFC 6121 §4.7.2.3)
  bool interested = false;         // requested the roster (RFC 6121 §2.1.6)
  std::vector<std::string> flags;  // switches modules set per session (e.g. "carbons")
  // The last available presence it broadcast, for probes and newly available resources.
  std::shared_ptr<const xmpp::Stanza> presence;
};

class SessionRegistry {
 public:
  struct BindOutcome {
    bool refused = false;                   // the account has max_per_account resources already
    std::optional<SessionHandle> replaced;  // the session bound to the same full JID before
    bool first = false;                     // the account had no resource bound before
  };
  // Registers `full`, unless that would give its account more than `max_per_account` resources
  // (0: no limit). A session it replaces (same full JID) does not count; the caller closes it
  // with a conflict stream error (RFC 6120 §7.7.2.2).
  BindOutcome bind(const xmpp::Jid& full, SessionHandle handle, std::size_t max_per_account = 0);
  struct UnbindOutcome {
    bool unbound = false;        // `full` was bound to `handle`, and is not any more
    bool was_available = false;  // it had sent available presence
    bool last = false;           // it was the account's last resource
  };
  // Removes `full` if it is still bound to `handle` (a replaced session must not unbind its
  // successor).
  UnbindOutcome unbind(const xmpp::Jid& full, SessionHandle handle);
  // Records a broadcast presence (`presence` null when unavailable); returns whether the
  // resource was available before.
  bool set_presence(const xmpp::Jid& full, SessionHandle handle, int priority,
                    std::shared_ptr<const xmpp::Stanza> presence);
  void set_interested(const xmpp::Jid& full);
  // XEP-0198 resumption: `full` moves from one session to another with everything it had
  // (availability, presence, flags). False if `full` is no longer bound to `from`.
  bool rehome(const xmpp::Jid& full, SessionHandle from, SessionHandle to);
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on);

  std::optional<SessionHandle> find(const xmpp::Jid& full) const;
  std::vector<std::optional<SessionHandle>> find_many(const std::vector<xmpp::Jid>& full) const;
  std::vector<BoundResource> resources(std::string_view bare_jid) const;
  std::size_t session_count() const;

 private:
  // Looked up by a view of a JID's bare part, without making a string of it.
  struct BareJidHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view bare) const {
      return std::hash<std::string_view>{}(bare);
    }
  };
  std::optional<SessionHandle> find_locked(const xmpp::Jid& full) const;

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<BoundResource>, BareJidHash, std::equal_to<>>
      accounts_;  // by bare JID
  std::size_t sessions_ = 0;
};

}  // namespace tern::core
