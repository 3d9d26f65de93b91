// SPDX-License-Identifier: MIT
// RFC 6121 §8 delivery rules (the subset listed in router.h).
#include "core/router/router.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "log/logger.h"
#include "xmpp/jid.h"
#include "xmpp/namespaces.h"
#include "xmpp/presence.h"

namespace tern::core {
namespace {

const log::Logger kLog("router");

// RFC 6121 §4.7.2.3: an integer from -128 to +127; anything else counts as 0.
int presence_priority(const xmpp::Element& presence) {
  int priority = 0;
  std::string_view text = presence.child_text("priority");
  if (text.empty()) {
    return 0;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), priority);
  if (ec != std::errc() || end != text.data() + text.size() || priority < -128 || priority > 127) {
    return 0;
  }
  return priority;
}

}  // namespace

bool Router::serves(std::string_view domain) const {
  return std::find(env_.domains.begin(), env_.domains.end(), domain) != env_.domains.end();
}

void Router::bounce(const xmpp::Element& stanza, const xmpp::StanzaError& error, Origin origin) {
  // Debug only, and only the top tag's addressing: never stanza content.
  kLog.debug("stanza.bounced", "stanza answered with an error",
             {{"kind", stanza.name()},
              {"type", stanza.attr("type")},
              {"from", stanza.attr("from")},
              {"to", stanza.attr("to")},
              {"condition", xmpp::condition_name(error.condition)}});
  xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza, error);
  if (!reply) {
    return;  // never an error about an error
  }
  if (origin) {
    env_.sessions.deliver(*origin, std::move(reply));
  } else if (!reply->to().empty()) {
    route_from_server(std::move(reply));
  }
}

void Router::route(xmpp::StanzaPtr stanza, SessionHandle origin) {
  std::string_view to_text = stanza->to();
  if (to_text.empty()) {
    // RFC 6120 §10.3.3: no 'to' means the sender's own account, handled by its server.
    const xmpp::Jid* from = stanza->from_jid();
    std::string domain(from ? from->domain() : std::string_view());
    if (stanza->kind() == xmpp::StanzaKind::Iq) {
      return dispatch_iq(*stanza, domain, Addressed::ToAccount, origin);
    }
    if (stanza->kind() == xmpp::StanzaKind::Presence) {
      return update_presence(std::move(stanza), origin);
    }
    return;  // a message to the server itself: nothing handles it yet
  }
  // A copy: hooks may readdress the stanza or take it. Parsing it here also leaves it parsed for
  // every hook that asks (Stanza::to_jid).
  std::optional<xmpp::Jid> to;
  if (const xmpp::Jid* parsed = stanza->to_jid()) {
    to = *parsed;
  } else {
    return bounce(stanza->root(), xmpp::StanzaError::jid_malformed(), origin);
  }
  {
    // The sender's server first (subscriptions, directed presence, blocking, carbons).
    const xmpp::Jid* from = stanza->from_jid();
    ModuleHost* modules = from ? env_.modules_for(from->domain()) : nullptr;
    if (modules != nullptr && modules->run_outbound(stanza) == Verdict::Handled) {
      return;
    }
  }
  if (!serves(to->domain())) {
    if (env_.to_served_domain && env_.to_served_domain(stanza, *to)) {
      return;
    }
    return bounce(stanza->root(), xmpp::StanzaError::remote_server_not_found(), origin);
  }
  if (!to->has_local()) {
    return to_server(std::move(stanza), to->domain(), origin);
  }
  to_account(std::move(stanza), *to, origin);
}

void Router::route_from_server(xmpp::StanzaPtr stanza) {
  if (stanza->receipt() && stanza->receipt()->is_copy()) {
    // A copy delivered before whose session ended unacknowledged: what it reported to its
    // resource is over; the stanza's own receipt (offline storage's, say) goes on with it.
    stanza->set_receipt(xmpp::DeliveryReceipt::stanza_receipt(stanza->receipt()));
  }
  const xmpp::Jid* parsed = stanza->to_jid();
  if (parsed == nullptr) {
    return;
  }
  if (!serves(parsed->domain())) {
    if (env_.to_served_domain) {
      xmpp::Jid to = *parsed;
      env_.to_served_domain(stanza, to);
    }
    return;  // no server-to-server yet: nowhere else to go
  }
  xmpp::Jid to = *parsed;  // a copy: the stanza goes on to hooks that may readdress or take it
  if (!to.has_local()) {
    return to_server(std::move(stanza), to.domain(), std::nullopt);
  }
  to_account(std::move(stanza), to, std::nullopt);
}

void Router::fan_out(std::shared_ptr<const xmpp::Stanza> stanza,
                     std::vector<xmpp::Jid> recipients) {
  auto route_copy = [this, &stanza](const xmpp::Jid& to) {
    xmpp::StanzaPtr copy = stanza->clone();
    copy->root().set_attr("to", to.full());
    route_from_server(std::move(copy));
  };
  if (stanza->kind() != xmpp::StanzaKind::Message || stanza->type() != "groupchat") {
    for (const xmpp::Jid& to : recipients) {
      route_copy(to);  // only groupchat may skip the per-recipient hooks
    }
    return;
  }
  // Local accounts' sessions by host, so that each host's filters see its recipients at once;
  // anything else (another served domain, a bare JID) the ordinary way.
  std::vector<std::pair<std::string, std::vector<xmpp::Jid>>> by_host;
  for (xmpp::Jid& to : recipients) {
    if (!to.has_local() || !to.has_resource() || !serves(to.domain())) {
      route_copy(to);
      continue;
    }
    auto host = std::find_if(by_host.begin(), by_host.end(),
                             [&](const auto& h) { return h.first == to.domain(); });
    if (host == by_host.end()) {
      by_host.emplace_back(std::string(to.domain()), std::vector<xmpp::Jid>{});
      host = std::prev(by_host.end());
    }
    host->second.push_back(std::move(to));
  }
  std::shared_ptr<const xmpp::PreparedStanza> prepared;
  for (auto& [host, jids] : by_host) {
    if (ModuleHost* modules = env_.modules_for(host)) {
      FanOut filtered{*stanza, jids};
      if (!modules->run_fan_out(filtered)) {
        continue;
      }
    }
    std::vector<std::optional<SessionHandle>> handles = env_.sessions.find_many(jids);
    std::vector<Sessions::Addressee> addressees;
    addressees.reserve(jids.size());
    for (std::size_t i = 0; i < jids.size(); ++i) {
      if (handles[i]) {
        addressees.push_back(Sessions::Addressee{*handles[i], std::move(jids[i])});
      } else {
        route_copy(jids[i]);  // gone meanwhile: RFC 6121 §8.5.3.2.1 decides
      }
    }
    if (!prepared) {
      prepared = std::make_shared<const xmpp::PreparedStanza>(stanza);
    }
    env_.sessions.deliver_prepared(prepared, std::move(addressees));
  }
}

void Router::dispatch_iq(const xmpp::Stanza& iq, std::string_view domain, Addressed addressed,
                         Origin origin) {
  std::string_view type = iq.type();
  if (type != "get" && type != "set") {
    return;  // results and errors addressed to the server end here
  }
  ModuleHost* modules = env_.modules_for(domain);
  const xmpp::Jid* from = iq.from_jid();
  if (modules != nullptr && from) {
    // The reply may come later (a module waiting for the store): it goes straight to the
    // session that asked, or back through the router.
    ReplySink reply = [this, origin](xmpp::StanzaPtr answer) {
      if (origin) {
        env_.sessions.deliver(*origin, std::move(answer));
      } else {
        route_from_server(std::move(answer));
      }
    };
    if (modules->dispatch_iq(iq.root(), addressed, *from, reply)) {
      return;
    }
  }
  bounce(iq.root(), xmpp::StanzaError::service_unavailable(), origin);
}

void Router::to_server(xmpp::StanzaPtr stanza, std::string_view domain, Origin origin) {
  if (stanza->kind() == xmpp::StanzaKind::Iq) {
    dispatch_iq(*stanza, domain, Addressed::ToServer, origin);
  }
  // Messages and presence to the server itself: nothing handles them yet.
}

void Router::to_account(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin) {
  xmpp::StanzaKind kind = stanza->kind();
  // The recipient's server (subscriptions, probes, blocking), RFC 6121 §3 and §4.3.
  ModuleHost* modules = env_.modules_for(to.domain());
  if (modules != nullptr && modules->run_inbound(stanza) == Verdict::Handled) {
    return;
  }
  if (!env_.account_exists(to.bare_view())) {
    if (kind != xmpp::StanzaKind::Presence) {
      bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
    }
    return;
  }
  if (to.has_resource()) {
    if (auto handle = env_.sessions.find(to)) {
      if (kind == xmpp::StanzaKind::Message && modules != nullptr) {
        std::vector<AcknowledgedHook> acknowledged;
        std::vector<xmpp::Jid> resources{to};
        modules->run_message_delivered(MessageDelivered{*stanza, resources, &acknowledged});
        return deliver_message(std::move(stanza), {*handle}, resources, std::move(acknowledged));
      }
      return env_.sessions.deliver(*handle, std::move(stanza));
    }
    if (kind == xmpp::StanzaKind::Message) {
      return to_vanished_resource(std::move(stanza), to, origin);
    }
    if (kind == xmpp::StanzaKind::Iq) {
      bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
    }
    return;
  }
  to_bare(std::move(stanza), to, origin);
}

void Router::to_vanished_resource(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin) {
  // RFC 6121 §8.5.3.2.1, by message type: an error or a headline meant for one client is
  // silently ignored (it must not reach the account's other clients), a groupchat message gets
  // service-unavailable, and only normal and chat are treated as addressed to the bare JID.
  std::string_view type = stanza->type();
  if (type == "error" || type == "headline") {
    return;
  }
  if (type == "groupchat") {
    return bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
  }
  to_bare(std::move(stanza), to.bare(), origin);
}

void Router::to_bare(xmpp::StanzaPtr stanza, const xmpp::Jid& to, Origin origin) {
  std::vector<BoundResource> resources = env_.sessions.resources(to.bare_view());
  std::vector<SessionHandle> targets;
  switch (stanza->kind()) {
    case xmpp::StanzaKind::Message: {
      // Only non-negative priorities take bare-JID messages (§8.5.2.1.1).
      int best = -1;
      for (const BoundResource& r : resources) {
        if (r.available && r.priority >= 0) {
          best = std::max(best, r.priority);
        }
      }
      std::vector<xmpp::Jid> delivered_to;
      for (const BoundResource& r : resources) {
        if (r.available && r.priority >= 0 && r.priority == best) {
          if (auto full = to.with_resource(r.resource)) {
            targets.push_back(r.handle);
            delivered_to.push_back(std::move(*full));
          }
        }
      }
      ModuleHost* modules = env_.modules_for(to.domain());
      if (targets.empty()) {
        // RFC 6121 §8.5.2.2.1: offline storage if a module takes it, else service-unavailable.
        if (modules != nullptr && modules->run_undeliverable_message(stanza) == Verdict::Handled) {
          return;
        }
        if (stanza->type() == "headline") {
          return;  // §8.5.2.2.1: a headline no resource can take is silently ignored
        }
        return bounce(stanza->root(), xmpp::StanzaError::service_unavailable(), origin);
      }
      std::vector<AcknowledgedHook> acknowledged;
      if (modules != nullptr) {
        modules->run_message_delivered(MessageDelivered{*stanza, delivered_to, &acknowledged});
      }
      return deliver_message(std::move(stanza), targets, delivered_to, std::move(acknowledged));
    }
    case xmpp::StanzaKind::Presence:
      for (const BoundResource& r : resources) {
        if (r.available) {
          targets.push_back(r.handle);
        }
      }
      break;
    case xmpp::StanzaKind::Iq:
      return dispatch_iq(*stanza, to.domain(), Addressed::ToAccount, origin);
    default:
      return;
  }
  if (targets.empty()) {
    return;
  }
  for (std::size_t i = 1; i < targets.size(); ++i) {
    env_.sessions.deliver(targets[i], stanza->clone());
  }
  env_.sessions.deliver(targets.front(), std::move(stanza));
}

void Router::deliver_message(xmpp::StanzaPtr message, const std::vector<SessionHandle>& targets,
                             const std::vector<xmpp::Jid>& resources,
                             std::vector<AcknowledgedHook> acknowledged) {
  auto hooks = acknowledged.empty()
                   ? nullptr
                   : std::make_shared<std::vector<AcknowledgedHook>>(std::move(acknowledged));
  if (targets.empty()) {
    return;
  }
  auto deliver_copy = [&](xmpp::StanzaPtr copy, std::size_t i) {
    if (hooks) {
      // The stanza's own receipt (offline storage waits on it) fires when any copy is
      // acknowledged, and fails once no copy holds it any more: each copy's receipt holds it.
      // A message delivered before (an unacknowledged copy routed again) reports to the
      // stanza's receipt, never to the resource it first went to.
      std::shared_ptr<xmpp::DeliveryReceipt> own =
          xmpp::DeliveryReceipt::stanza_receipt(copy->receipt());
      auto report = [hooks, resource = resources[i]](bool delivered) {
        if (delivered) {
          for (const AcknowledgedHook& hook : *hooks) {
            hook(resource);
          }
        }
      };
      copy->set_receipt(std::make_shared<xmpp::DeliveryReceipt>(
          [report, own](bool delivered) {
            if (delivered && own) {
              own->delivered();
            }
            report(delivered);
          },
          own));
    }
    env_.sessions.deliver(targets[i], std::move(copy));
  };
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) {
    deliver_copy(message->clone(), i);
  }
  deliver_copy(std::move(message), targets.size() - 1);
}

void Router::update_presence(xmpp::StanzaPtr stanza, SessionHandle origin) {
  const xmpp::Jid* from = stanza->from_jid();
  std::string_view type = stanza->type();
  if (!from || (!type.empty() && type != "unavailable")) {
    return;  // a subscription or probe needs a 'to' (RFC 6121 §3.1.1, §4.3)
  }
  bool available = type.empty();
  std::shared_ptr<const xmpp::Stanza> last;
  if (available) {
    last = stanza->clone();
  }
  bool was_available =
      env_.sessions.set_presence(*from, origin, presence_priority(stanza->root()), last);
  if (!available && !was_available) {
    return;  // unavailable from a resource that never was available: nobody needs to know
  }
  // RFC 6121 §4.2.2, §4.4.2, §4.5.2: the account's available resources see the change, the
  // sender itself included for available presence...
  broadcast_to_own_resources(*stanza, *from);
  if (available && !was_available) {
    // ...and a newly available resource learns about the others.
    for (const BoundResource& r : env_.sessions.resources(from->bare_view())) {
      if (r.available && r.presence && r.resource != from->resource()) {
        env_.sessions.deliver(origin, r.presence->clone());
      }
    }
  }
  if (ModuleHost* modules = env_.modules_for(from->domain())) {
    PresenceChange change = !available      ? PresenceChange::Unavailable
                            : was_available ? PresenceChange::Update
                                            : PresenceChange::Initial;
    modules->run_presence_broadcast(PresenceBroadcast{*stanza, *from, change});
  }
}

void Router::broadcast_to_own_resources(const xmpp::Stanza& presence, const xmpp::Jid& from) {
  for (const BoundResource& r : env_.sessions.resources(from.bare_view())) {
    if (r.available) {
      env_.sessions.deliver(r.handle, presence.clone());
    }
  }
}

void Router::session_ended(const xmpp::Jid& full) {
  // RFC 6121 §4.5.3.2: a session that ends without unavailable presence gets one on its behalf.
  xmpp::StanzaPtr unavailable = xmpp::make_presence(full.full(), {}, "unavailable");
  broadcast_to_own_resources(*unavailable, full);
  if (ModuleHost* modules = env_.modules_for(full.domain())) {
    modules->run_presence_broadcast(
        PresenceBroadcast{*unavailable, full, PresenceChange::Unavailable});
  }
}

}  // namespace tern::core
