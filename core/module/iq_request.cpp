// SPDX-License-Identifier: MIT
// IqRequest replies (declared in the public module API).
#include "tern/module_api.h"

namespace tern {

xmpp::Element& IqRequest::reply_result(QName payload) {
  reply_ = xmpp::make_iq_result(iq_);
  if (payload.name.empty()) {
    return reply_->root();
  }
  return reply_->root().add_child(payload.name, payload.ns);
}

void IqRequest::reply_error(const xmpp::StanzaError& error) {
  reply_ = xmpp::make_error_reply(iq_, error);
}

std::shared_ptr<DeferredIq> IqRequest::defer() {
  xmpp::StanzaPtr copy = std::make_unique<xmpp::Stanza>();
  copy->set_root(iq_.clone_into(copy->arena()));
  deferred_ = true;
  return std::make_shared<DeferredIq>(std::move(copy), later_);
}

DeferredIq::~DeferredIq() {
  if (!answered_) {
    reply_error(xmpp::StanzaError::internal_server_error());
  }
}

void DeferredIq::reply_result(QName payload, const std::function<void(xmpp::Element&)>& fill) {
  xmpp::StanzaPtr reply = xmpp::make_iq_result(iq_->root());
  xmpp::Element& target =
      payload.name.empty() ? reply->root() : reply->root().add_child(payload.name, payload.ns);
  if (fill) {
    fill(target);
  }
  answered_ = true;
  if (sink_) {
    sink_(std::move(reply));
  }
}

void DeferredIq::reply_error(const xmpp::StanzaError& error) {
  answered_ = true;
  if (sink_) {
    if (xmpp::StanzaPtr reply = xmpp::make_error_reply(iq_->root(), error)) {
      sink_(std::move(reply));
    }
  }
}

}  // namespace tern
