// SPDX-License-Identifier: MIT
// Blocklist checks on inbound and outbound stanzas (rules in enforcement.h).
#include "modules/blocking/enforcement.h"

namespace tern::modules::blocking {
namespace {

// Presence that shows the owner online or asks for the contact's presence.
bool reveals_presence(const xmpp::Stanza& presence) {
  std::string_view type = presence.type();
  return type.empty() || type == "probe";
}

// The blocklist cannot be read (a store error, rare): the stanza does not pass — a Refuse hook
// fails closed — but its sender hears of it rather than losing it silently: internal-server-error
// (type wait: try again) for a message or an IQ get or set; presence is dropped.
Verdict cannot_check(ModuleContext& ctx, xmpp::StanzaPtr& stanza) {
  if (stanza->kind() != xmpp::StanzaKind::Presence) {
    xmpp::StanzaError error = xmpp::StanzaError::internal_server_error();
    error.type = xmpp::ErrorType::Wait;
    if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza->root(), error)) {
      ctx.route(std::move(reply));
    }
  }
  return Verdict::Handled;
}

// Whether a blocked stanza is answered (service-unavailable) rather than dropped: IQs, and
// one-to-one messages. Presence goes without a word; so do groupchat and headline messages, as
// in Prosody: an error to a room would take the blocker out of it (XEP-0045 §7.14's ghosts).
bool answered_when_blocked(const xmpp::Stanza& stanza) {
  if (stanza.kind() == xmpp::StanzaKind::Presence) {
    return false;
  }
  std::string_view type = stanza.type();
  return stanza.kind() != xmpp::StanzaKind::Message || type.empty() || type == "chat" ||
         type == "normal";
}

}  // namespace

Verdict enforce_inbound(ModuleContext& ctx, const BlocklistStore& blocklist,
                        xmpp::StanzaPtr& stanza) {
  const xmpp::Jid* from = stanza->from_jid();
  const xmpp::Jid* to = stanza->to_jid();
  if (!from || !to) {
    return Verdict::Continue;
  }
  auto txn = ctx.read();
  if (!txn) {
    return cannot_check(ctx, stanza);
  }
  if (blocklist.is_blocked(*txn, to->bare_view(), *from)) {
    if (answered_when_blocked(*stanza)) {
      // Messages (SHOULD) and IQ gets and sets (MUST); make_error_reply gives nothing for IQ
      // results and errors, which are dropped.
      if (xmpp::StanzaPtr error =
              xmpp::make_error_reply(stanza->root(), xmpp::StanzaError::service_unavailable())) {
        ctx.route(std::move(error));
      }
    }
    return Verdict::Handled;
  }
  if (stanza->kind() == xmpp::StanzaKind::Presence && from->has_local() &&
      reveals_presence(*stanza) && blocklist.is_blocked(*txn, from->bare_view(), *to)) {
    return Verdict::Handled;
  }
  return Verdict::Continue;
}

Verdict enforce_outbound(ModuleContext& ctx, const BlocklistStore& blocklist,
                         xmpp::StanzaPtr& stanza) {
  const xmpp::Jid* from = stanza->from_jid();
  const xmpp::Jid* to = stanza->to_jid();
  if (!from || !to) {
    return Verdict::Continue;
  }
  auto txn = ctx.read();
  if (!txn) {
    return cannot_check(ctx, stanza);
  }
  if (!blocklist.is_blocked(*txn, from->bare_view(), *to)) {
    return Verdict::Continue;
  }
  // XEP-0191 §3.3 shows type='cancel': retrying will not help while the block stands.
  xmpp::StanzaError error = xmpp::StanzaError::not_acceptable().with_application_condition(
      xmpp::ns::kBlockingErrors, "blocked");
  error.type = xmpp::ErrorType::Cancel;
  if (xmpp::StanzaPtr reply = xmpp::make_error_reply(stanza->root(), error)) {
    ctx.send_to_session(*from, std::move(reply));
  }
  return Verdict::Handled;
}

void enforce_fan_out(ModuleContext& ctx, const BlocklistStore& blocklist, FanOut& fan_out) {
  // A room's message (groupchat): refused copies are dropped without an answer, as
  // enforce_inbound drops them; a blocklist that cannot be read fails closed the same way.
  const xmpp::Jid* from = fan_out.stanza.from_jid();
  if (!from) {
    return;
  }
  auto txn = ctx.read();
  std::erase_if(fan_out.recipients, [&](const xmpp::Jid& to) {
    return !txn || blocklist.is_blocked(*txn, to.bare_view(), *from);
  });
}

}  // namespace tern::modules::blocking
