// SPDX-License-Identifier: MIT
// Router: where a stanza from a client goes (RFC 6121 §8), decided in one place. It runs on the
// sender's worker; delivery to a session on another worker goes through that worker's inbox
// (Delivery). What it implements today:
//   - to the server itself (no 'to', or a served domain): IQs go to the modules (ModuleHost),
//     unhandled ones get service-unavailable; messages and presence to the server are dropped;
//   - to a full JID: the session if connected; otherwise messages fall back to the bare JID
//     (§8.5.3.2.1), IQs get service-unavailable, presence is dropped;
//   - to a bare JID: messages to the available resources of highest non-negative priority
//     (§8.5.2.1.1), none: service-unavailable until offline storage exists (§8.5.2.2.1); IQs are
//     the server's, on the account's behalf (§8.5.2.1.3): modules registered ToAccount; directed
//     presence to every connected resource;
//   - to an unknown local account: messages and IQs service-unavailable, presence dropped (§8.5.1);
//   - to another domain: remote-server-not-found (no server-to-server yet);
//   - presence without 'to' updates the sender's availability and priority and is broadcast to
//     the account's own available resources (§4.2.2, §4.5.2); a session that ends while available
//     gets unavailable presence broadcast on its behalf (§4.5.3.2).
// Rosters, subscriptions and presence broadcast come with the roster and presence modules.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/module/module_host.h"
#include "core/router/session_registry.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern::core {

class Delivery {
 public:
  virtual ~Delivery() = default;
  // Hands `stanza` to the session behind `handle`, on whichever worker it lives; dropped if that
  // session is gone.
  virtual void deliver(SessionHandle handle, xmpp::StanzaPtr stanza) = 0;
};

struct RouterEnv {
  SessionRegistry& registry;
  Delivery& delivery;
  std::function<bool(std::string_view bare_jid)> account_exists;
  std::vector<std::string> domains;
  // The modules of a served domain on this worker.
  std::function<ModuleHost*(std::string_view domain)> modules_for;
};

class Router {
 public:
  explicit Router(RouterEnv env) : env_(std::move(env)) {}
  // A stanza from the client session `origin`, with 'from' stamped.
  void route(xmpp::StanzaPtr stanza, SessionHandle origin);
  // The session `full` ended while available: its account's other resources get unavailable.
  void session_ended(const xmpp::Jid& full);

 private:
  bool serves(std::string_view domain) const;
  void to_server(xmpp::StanzaPtr stanza, std::string_view domain, SessionHandle origin);
  void dispatch_iq(const xmpp::Stanza& iq, std::string_view domain, Addressed addressed,
                   SessionHandle origin);
  void to_account(xmpp::StanzaPtr stanza, const xmpp::Jid& to, SessionHandle origin);
  void to_bare(xmpp::StanzaPtr stanza, const xmpp::Jid& to, SessionHandle origin);
  void update_presence(xmpp::StanzaPtr presence, SessionHandle origin);
  void broadcast_to_own_resources(xmpp::StanzaPtr presence, const xmpp::Jid& from);
  void bounce(const xmpp::Element& stanza, const xmpp::StanzaError& error, SessionHandle origin);

  RouterEnv env_;
};

}  // namespace tern::core
