// SPDX-License-Identifier: MIT
// STARTTLS (RFC 6120 §5): <starttls/> → <proceed/> → TLS handshake → stream restart.
#include "core/c2s/c2s_session.h"
#include "xmpp/namespaces.h"

namespace tern::core::c2s {

void C2sSession::handle_starttls(const xmpp::Element& /*element*/) {
  if (io_->encrypted() || !io_->can_start_tls()) {
    // RFC 6120 §5.4.2.2: <failure/>, then close the stream.
    write(xmpp::Stanza::create("failure", xmpp::ns::kTls)->root());
    return close();
  }
  write(xmpp::Stanza::create("proceed", xmpp::ns::kTls)->root());
  state_ = SessionState::TlsHandshake;
  // Stop parsing here: whatever followed <starttls/> in this read was sent in plaintext and must
  // not be taken as part of the encrypted stream (on_bytes drops it).
  codec_->request_restart();
  io_->start_tls();
}

}  // namespace tern::core::c2s
