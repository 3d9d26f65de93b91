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

}  // namespace tern
