// SPDX-License-Identifier: MIT
// Router: where a stanza goes (RFC 6121 §8), decided in one place. It runs on the sender's
// worker; where sessions are and how a stanza reaches one on another worker is Sessions'.
//   - to the server itself (no 'to', or a served domain): IQs go to the modules (ModuleHost),
//     unhandled ones get service-unavailable; messages and presence to the server are dropped;
//   - presence without 'to' (broadcast) updates the sender's availability, priority and last
//     presence, goes to the account's own available resources (§4.2.2, §4.4.2, §4.5.2) — a newly
//     available resource also receives the presence of the others — and then to the modules'
//     broadcast hooks (contacts: the presence module). A session that ends while available gets
//     the same on its behalf (§4.5.3.2);
//   - a stanza with 'to' passes the sender's host's outbound hooks, and a stanza for a local
//     account its host's inbound hooks (subscriptions, probes, blocking), before the rules below;
//     a message no resource can take goes to the undeliverable-message hooks (offline storage)
//     before it is bounced, and a delivered message to the message-delivered hooks (carbons);
//   - to a full JID: the session if connected; otherwise (§8.5.3.2.1) chat and normal messages
//     go to the bare JID, groupchat gets service-unavailable, error and headline messages are
//     dropped, IQs get service-unavailable, presence is dropped;
//   - to a bare JID: messages to the available resources of highest non-negative priority
//     (§8.5.2.1.1), none: the undeliverable-message hooks (offline storage, §8.5.2.2.1), then
//     service-unavailable if no hook took it; IQs are
//     the server's, on the account's behalf (§8.5.2.1.3): modules registered ToAccount; presence
//     to every available resource (§8.5.2.1.2);
//   - to an unknown local account: messages and IQs service-unavailable, presence dropped (§8.5.1);
//   - to a domain a module serves (XEP-0045's conference.HOST) or a JID at it: to that module
//     (RouterEnv::to_served_domain picks the worker), after the sender's outbound hooks;
//   - to another domain: remote-server-not-found (no server-to-server yet).
// Stanzas the modules send (route_from_server) take the same path from the recipient's side: no
// outbound hooks, no from-stamping, and errors go back to their 'from' through the router. A
// room's groupchat message to its occupants (fan_out) is serialised once and handed to the
// sessions in one task per worker: the recipients' hosts' fan-out filters (blocking) instead of
// the per-recipient hooks, which leave groupchat alone; whoever has no session here gets a copy
// routed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/module/module_host.h"
#include "core/router/sessions.h"
#include "xmpp/stanza.h"
#include "xmpp/stanza_error.h"

namespace tern::core {

struct RouterEnv {
  Sessions& sessions;
  std::function<bool(std::string_view bare_jid)> account_exists;
  std::vector<std::string> domains;
  // The modules of a served domain on this worker.
  std::function<ModuleHost*(std::string_view domain)> modules_for;
  // Takes a stanza for a domain a module serves (on whichever worker that module's instance
  // for the bare 'to' runs); false when no module serves the domain.
  std::function<bool(xmpp::StanzaPtr& stanza, const xmpp::Jid& to)> to_served_domain;
};

// Where a stanza came from: a client session, or the server itself (a module).
using Origin = std::optional<SessionHandle>;

class Router {
 public:
  explicit Router(RouterEnv env) : env_(std::move(env)) {}
  // A stanza from the client session `origin`, with 'from' stamped.
  void route(xmpp::StanzaPtr stanza, SessionHandle origin);
  // A stanza a module sends, with the 'from' it set.
  void route_from_server(xmpp::StanzaPtr stanza);
  // One stanza without 'to' to many full JIDs (ModuleContext::fan_out says what that skips).
  void fan_out(std::shared_ptr<const xmpp::Stanza> stanza, std::vector<xmpp::Jid> recipients);
  // The session `full` ended while available: its account's other resources and the modules
  // get unavailable presence on its behalf.
  void session_ended(const xmpp::Jid& full);

 private:
  bool serves(std::string_view domain) const;
  void to_server(xmpp::StanzaPtr stanza, std::string_view domain, Origin origin);
  void dispatch_iq(const xmpp::Stanza& iq, std::string_view domain, Addressed addressed,
                   Origin origin);
  void to_account(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin);
  void to_vanished_resource(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin);
  void to_bare(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin);
  void update_presence(xmpp::StanzaPtr presence, SessionHandle origin);
  void broadcast_to_own_resources(const xmpp::Stanza& presence, const xmpp::Jid& from);
  void bounce(const xmpp::Element& stanza, const xmpp::StanzaError& error, Origin origin);
  // Hands a message to its sessions, one copy each; with acknowledgement hooks, each copy gets
  // a receipt of its own that reports its resource to them (and still the stanza's receipt).
  void deliver_message(xmpp::StanzaPtr message, const std::vector<SessionHandle>& targets,
                       const std::vector<xmpp::Jid>& resources,
                       std::vector<AcknowledgedHook> acknowledged);

  RouterEnv env_;
};

}  // namespace tern::core
