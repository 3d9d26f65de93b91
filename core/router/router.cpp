// SPDX-License-Identifier: MIT
// RFC 6121 §8 delivery rules (the subset listed in router.h).
#include "core/router/router.h"

#include <algorithm>
#include <charconv>

#include "xmpp/jid.h"
#include "xmpp/namespaces.h"

namespace tern::core {

bool Router::serves(std::string_view domain) const {
  return std::find(env_.domains.begin(), env_.domains.end(), domain) != env_.domains.end();
}

void Router::bounce(const xmpp::Element& stanza, const xmpp::StanzaError& error,
                    SessionHandle origin) {
  if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza, error)) {
    env_.delivery.deliver(origin, std::move(reply));
  }
}

void Router::route(xmpp::StanzaPtr stanza, SessionHandle origin) {
  std::string_view to_text = stanza->to();
  if (to_text.empty()) {
    // RFC 6120 §10.3.3: no 'to' means the sender's own account, handled by its server.
    auto from = xmpp::Jid::parse(stanza->from());
    std::string domain(from ? from->domain() : std::string_view());
    if (stanza->kind() == xmpp::StanzaKind::Iq) {
      return dispatch_iq(*stanza, domain, Addressed::ToAccount, origin);
    }
    return to_server(std::move(stanza), domain, origin);
  }
  auto to = xmpp::Jid::parse(to_text);
  if (!to) {
    return bounce(stanza->root(), xmpp::StanzaError::jid_malformed(), origin);
  }
  if (!serves(to->domain())) {
    return bounce(stanza->root(), xmpp::StanzaError::remote_server_not_found(), origin);
  }
  if (!to->has_local()) {
    return to_server(std::move(stanza), to->domain(), origin);
  }
  to_account(std::move(stanza), *to, origin);
}

void Router::dispatch_iq(const xmpp::Stanza& iq, std::string_view domain, Addressed addressed,
                         SessionHandle origin) {
  std::string_view type = iq.type();
  if (type != "get" && type != "set") {
    return;  // results and errors addressed to the server end here
  }
  ModuleHost* modules = env_.modules_for(domain);
  auto from = xmpp::Jid::parse(iq.from());
  if (modules != nullptr && from) {
    if (xmpp::StanzaPtr answer = modules->dispatch_iq(iq.root(), addressed, *from)) {
      return env_.delivery.deliver(origin, std::move(answer));
    }
  }
  bounce(iq.root(), xmpp::StanzaError::service_unavailable(), origin);
}

void Router::to_server(xmpp::StanzaPtr stanza, std::string_view domain, SessionHandle origin) {
  switch (stanza->kind()) {
    case xmpp::StanzaKind::Iq:
      return dispatch_iq(*stanza, domain, Addressed::ToServer, origin);
    case xmpp::StanzaKind::Presence:
      if (stanza->to().empty()) {
        update_presence(std::move(stanza), origin);
      }
      return;
    default:
      return;  // a message to the server itself: nothing handles it yet
  }
}

void Router::to_account(xmpp::StanzaPtr stanza, const xmpp::Jid& to, SessionHandle origin) {
  xmpp::StanzaKind kind = stanza->kind();
  if (!env_.account_exists(to.bare_view())) {
    if (kind != xmpp::StanzaKind::Presence) {
      bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
    }
    return;
  }
  if (to.has_resource()) {
    if (auto handle = env_.registry.find(to)) {
      return env_.delivery.deliver(*handle, std::move(stanza));
    }
    if (kind == xmpp::StanzaKind::Message && stanza->type() != "groupchat") {
      return to_bare(std::move(stanza), to.bare(), origin);
    }
    if (kind == xmpp::StanzaKind::Iq) {
      bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
    }
    return;
  }
  to_bare(std::move(stanza), to, origin);
}

void Router::to_bare(xmpp::StanzaPtr stanza, const xmpp::Jid& to, SessionHandle origin) {
  std::vector<BoundResource> resources = env_.registry.resources(to.bare_view());
  switch (stanza->kind()) {
    case xmpp::StanzaKind::Message: {
      int best = -1;
      for (const BoundResource& r : resources) {
        if (r.available && r.priority >= 0) {
          best = std::max(best, r.priority);
        }
      }
      std::vector<SessionHandle> targets;
      for (const BoundResource& r : resources) {
        if (r.available && r.priority == best) {
          targets.push_back(r.handle);
        }
      }
      if (targets.empty()) {
        // No offline storage yet: RFC 6121 §8.5.2.2.1 asks for service-unavailable then.
        return bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
      }
      for (std::size_t i = 1; i < targets.size(); ++i) {
        env_.delivery.deliver(targets[i], stanza->clone());
      }
      return env_.delivery.deliver(targets.front(), std::move(stanza));
    }
    case xmpp::StanzaKind::Presence:
      if (resources.empty()) {
        return;
      }
      for (std::size_t i = 1; i < resources.size(); ++i) {
        env_.delivery.deliver(resources[i].handle, stanza->clone());
      }
      return env_.delivery.deliver(resources.front().handle, std::move(stanza));
    case xmpp::StanzaKind::Iq:
      return dispatch_iq(*stanza, to.domain(), Addressed::ToAccount, origin);
    default:
      return;
  }
}

void Router::update_presence(xmpp::StanzaPtr stanza, SessionHandle origin) {
  const xmpp::Stanza& presence = *stanza;
  auto from = xmpp::Jid::parse(presence.from());
  std::string_view type = presence.type();
  if (!from || (!type.empty() && type != "unavailable")) {
    return;  // subscription requests and probes need the presence module
  }
  int priority = 0;
  std::string_view text = presence.root().child_text("priority");
  if (!text.empty()) {
    // RFC 6121 §4.7.2.3: an integer from -128 to +127; anything else counts as 0.
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), priority);
    if (ec != std::errc() || end != text.data() + text.size() || priority < -128 ||
        priority > 127) {
      priority = 0;
    }
  }
  bool available = type.empty();
  env_.registry.set_presence(*from, origin, available, priority);
  // RFC 6121 §4.2.2 and §4.5.2: the account's available resources see the change, the sender
  // itself included for available presence. (Contacts need the roster: the presence module.)
  broadcast_to_own_resources(std::move(stanza), *from);
}

void Router::broadcast_to_own_resources(xmpp::StanzaPtr presence, const xmpp::Jid& from) {
  std::vector<SessionHandle> targets;
  for (const BoundResource& r : env_.registry.resources(from.bare_view())) {
    if (r.available) {
      targets.push_back(r.handle);
    }
  }
  if (targets.empty()) {
    return;
  }
  for (std::size_t i = 1; i < targets.size(); ++i) {
    env_.delivery.deliver(targets[i], presence->clone());
  }
  env_.delivery.deliver(targets.front(), std::move(presence));
}

void Router::session_ended(const xmpp::Jid& full) {
  // RFC 6121 §4.5.3.2: a session that ends without unavailable presence gets one on its behalf.
  xmpp::StanzaPtr unavailable = xmpp::Stanza::create("presence", xmpp::ns::kClient);
  unavailable->root().set_attr("from", full.full()).set_attr("type", "unavailable");
  broadcast_to_own_resources(std::move(unavailable), full);
}

}  // namespace tern::core
