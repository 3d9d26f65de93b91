// SPDX-License-Identifier: MIT
// Sessions: where the sessions of the served accounts are, and how a stanza reaches one. It is
// the seam between what decides where stanzas go (the router, the modules through their
// context, the c2s sessions binding their resources) and what holds the sessions.
//
// LocalSessions (core/server/local_sessions.h) is this process's: the SessionRegistry shared by
// the workers, and delivery through the worker that owns the session. A cluster would be a
// second implementation — the registry replicated or asked over the network, a handle naming a
// node too, delivery forwarded to that node — without a change to the router, the modules or the
// c2s code.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/router/session_registry.h"
#include "xmpp/jid.h"
#include "xmpp/prepared_stanza.h"
#include "xmpp/stanza.h"

namespace tern::core {

class Sessions {
 public:
  virtual ~Sessions() = default;

  // Binding (SessionRegistry's rules: the resource limit, the newer session wins).
  virtual SessionRegistry::BindOutcome bind(const xmpp::Jid& full, SessionHandle handle,
                                            std::size_t max_per_account) = 0;
  virtual SessionRegistry::UnbindOutcome unbind(const xmpp::Jid& full, SessionHandle handle) = 0;
  // XEP-0198: `full` moves from one session to another with what it had.
  virtual bool rehome(const xmpp::Jid& full, SessionHandle from, SessionHandle to) = 0;

  // Where: the session of a full JID, the resources of an account.
  virtual std::optional<SessionHandle> find(const xmpp::Jid& full) const = 0;
  virtual std::vector<BoundResource> resources(std::string_view bare_jid) const = 0;
  // The sessions of many full JIDs in one look, in their order (none where there is none).
  virtual std::vector<std::optional<SessionHandle>> find_many(
      const std::vector<xmpp::Jid>& full) const = 0;

  // What the router and the modules keep on a session (SessionRegistry::set_presence …).
  virtual bool set_presence(const xmpp::Jid& full, SessionHandle handle, int priority,
                            std::shared_ptr<const xmpp::Stanza> presence) = 0;
  virtual void set_interested(const xmpp::Jid& full) = 0;
  virtual void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) = 0;

  // Hands `stanza` to the session behind `handle`, wherever it lives. An xmpp::DeliveryReceipt
  // on the stanza learns when it was delivered (handed to the socket, or acknowledged under
  // XEP-0198) or lost; a message whose session ended meanwhile is routed again as RFC 6121
  // routes one for a resource that is gone (another resource, or the offline queue).
  virtual void deliver(SessionHandle handle, xmpp::StanzaPtr stanza) = 0;

  // One prepared stanza to many sessions (ModuleContext::fan_out): one task per worker, where
  // each established session writes the prepared bytes with its own 'to'. A session that is not
  // established (waiting for a resumption, resumed elsewhere, ended) gets a copy routed on its
  // worker as a message for its full JID would be.
  struct Addressee {
    SessionHandle handle;
    xmpp::Jid jid;  // full
  };
  virtual void deliver_prepared(std::shared_ptr<const xmpp::PreparedStanza> stanza,
                                std::vector<Addressee> addressees) = 0;
};

}  // namespace tern::core
