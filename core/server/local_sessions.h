// SPDX-License-Identifier: MIT
// LocalSessions: the Sessions of one process. Where a session is: the SessionRegistry every
// worker reads and writes. How a stanza reaches it: on the worker that owns the session (through
// that worker's inbox when it is another), following a session resumed elsewhere a moment ago,
// and, for a message whose session ended meanwhile, routed again on that session's worker.
#pragma once

#include <functional>
#include <memory>

#include "core/c2s/c2s_session.h"
#include "core/net/connection.h"
#include "core/router/sessions.h"
#include "core/server/server.h"

namespace tern::core {

class Server::LocalSessions final : public Sessions {
 public:
  explicit LocalSessions(Server& server) : server_(server) {}

  // Sessions
  SessionRegistry::BindOutcome bind(const xmpp::Jid& full, SessionHandle handle,
                                    std::size_t max_per_account) override {
    return registry_.bind(full, handle, max_per_account);
  }
  SessionRegistry::UnbindOutcome unbind(const xmpp::Jid& full, SessionHandle handle) override {
    return registry_.unbind(full, handle);
  }
  bool rehome(const xmpp::Jid& full, SessionHandle from, SessionHandle to) override {
    return registry_.rehome(full, from, to);
  }
  std::optional<SessionHandle> find(const xmpp::Jid& full) const override {
    return registry_.find(full);
  }
  std::vector<BoundResource> resources(std::string_view bare_jid) const override {
    return registry_.resources(bare_jid);
  }
  std::vector<std::optional<SessionHandle>> find_many(
      const std::vector<xmpp::Jid>& full) const override {
    return registry_.find_many(full);
  }
  bool set_presence(const xmpp::Jid& full, SessionHandle handle, int priority,
                    std::shared_ptr<const xmpp::Stanza> presence) override {
    return registry_.set_presence(full, handle, priority, std::move(presence));
  }
  void set_interested(const xmpp::Jid& full) override { registry_.set_interested(full); }
  void set_flag(const xmpp::Jid& full, std::string_view flag, bool on) override {
    registry_.set_flag(full, flag, on);
  }
  void deliver(SessionHandle handle, xmpp::StanzaPtr stanza) override;
  void deliver_prepared(std::shared_ptr<const xmpp::PreparedStanza> stanza,
                        std::vector<Addressee> addressees) override;

  // Runs fn with the session behind `handle` on its worker: with its connection, or with null
  // for a detached session (XEP-0198); follows a session that was resumed on another worker;
  // runs `gone` there if the session is gone.
  using SessionTask = std::function<void(c2s::C2sSession&, net::Connection*)>;
  void visit(SessionHandle handle, SessionTask fn, std::function<void()> gone = {});

 private:
  // On the worker of every addressee: the prepared bytes for each established session, and for
  // the others a copy routed as a message for their full JID (a detached session keeps it for a
  // resumption, a resumed one is found where it went, an ended one's copy is bounced or dropped).
  static void write_prepared(WorkerState& ws, const xmpp::PreparedStanza& stanza,
                             const std::vector<Addressee>& addressees);
  // A message on its way to the session behind `handle`, which ended meanwhile: it goes where
  // RFC 6121 sends a message for a resource that is gone (another resource, or the offline
  // queue), routed on that session's worker. Never while the handle is still bound.
  void reroute_from_ended(SessionHandle handle, std::shared_ptr<xmpp::Stanza> stanza);

  Server& server_;
  SessionRegistry registry_;
};

}  // namespace tern::core
