// SPDX-License-Identifier: MIT
// Resource binding (RFC 6120 §7) and the legacy session establishment (RFC 3921 §3, kept as an
// optional no-op for old clients per draft-cridland-xmpp-session).
#include "core/c2s/c2s_session.h"
#include "log/logger.h"
#include "xmpp/namespaces.h"

namespace tern::core::c2s {

namespace ns = xmpp::ns;

namespace {

const log::Logger kLog("c2s");

}  // namespace

void C2sSession::add_bind_features(xmpp::Element& features) {
  features.add_child("bind", ns::kBind);
  features.add_child("session", ns::kSession).add_child("optional");
}

// Handles <iq type='set'><bind/></iq> and <session/>; false for anything else.
bool C2sSession::handle_bind_iq(const xmpp::Element& iq) {
  const xmpp::Element* payload = iq.first_child();
  if (iq.attr("type") != "set" || payload == nullptr) {
    return false;
  }
  if (payload->is("session", ns::kSession)) {
    // Only meaningful after binding; before it, the client gets the same answer as bind's order.
    return false;
  }
  if (!payload->is("bind", ns::kBind)) {
    return false;
  }
  std::string_view resource = payload->child_text("resource", ns::kBind);
  xmpp::Jid requested = jid_;
  if (!resource.empty()) {
    auto full = jid_.with_resource(resource);
    if (!full) {
      // RFC 6120 §7.7.2.1: a resourcepart that cannot be prepared is bad-request.
      write(xmpp::make_error_reply(
                iq, xmpp::StanzaError::bad_request(std::string(xmpp::describe(full.error()))))
                ->root());
      return true;
    }
    requested = std::move(full).value();
  }
  auto bound = host_.bind(*this, requested);
  if (!bound) {
    kLog.warn("limit.refused", "resource not bound",
              {{"jid", requested.full()},
               {"condition", xmpp::condition_name(bound.error().condition)},
               {"text", bound.error().text},
               {"conn", log_connection_}});
    write(xmpp::make_error_reply(iq, bound.error())->root());
    return true;
  }
  jid_ = std::move(bound).value();
  state_ = SessionState::Established;
  kLog.info("session.bound", "resource bound", {{"jid", jid_.full()}, {"conn", log_connection_}});
  xmpp::StanzaPtr result = xmpp::make_iq_result(iq);
  result->root().remove_attr("from");
  result->root().add_child("bind", ns::kBind).add_child("jid").set_text(jid_.full());
  write(result->root());
  // docs/binary-xmpp.md §8.3: the server binds its own JID right after sending the result.
  codec_->bind_own_jid(jid_.full());
  return true;
}

}  // namespace tern::core::c2s
